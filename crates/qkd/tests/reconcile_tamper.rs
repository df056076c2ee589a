//! Cascade under altered answers: Bob's state machine must stop with a typed error, never loop.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use quantumacy_qkd::BitVec;
use quantumacy_qkd::protocol::reconcile::{
    AliceCascade, AliceMessage, BobCascade, BobStep, Variant, frame_pair,
};
use rand::SeedableRng;

/// Whatever the tampering, the session ends (no endless cascade of flips), and a frame is only reported verified
/// when Bob's key really equals Alice's (Cascade may heal a wrong parity in later passes).
#[test]
fn flipped_parities_end_and_never_pass_errors_on() {
    for variant in [Variant::Original, Variant::Best] {
        for tampered_step in [0u32, 1, 3] {
            let (a, b) = frame_pair(4096, 140, 3).unwrap();
            let alice_key = a.clone();
            let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
            let mut alice = AliceCascade::new(a, &mut rng).unwrap();
            let mut bob = BobCascade::new(b, 0.034, variant, 9).unwrap();
            let mut msg = bob.start().unwrap();
            let mut outcome = None;
            for step in 0..100_000u32 {
                let mut reply = alice.respond(&msg).unwrap();
                if step == tampered_step
                    && let AliceMessage::Parities { parities, .. } = &mut reply
                {
                    let flipped: BitVec =
                        (0..parities.len()).map(|i| parities.get(i) != Some(i % 3 == 0)).collect();
                    *parities = flipped;
                }
                match bob.receive(&reply) {
                    Ok(BobStep::Send(m)) => msg = m,
                    Ok(BobStep::Done(o)) => {
                        outcome = Some(!o.verified || o.key == alice_key);
                        break;
                    }
                    Err(_) => {
                        outcome = Some(true);
                        break;
                    }
                }
            }
            assert_eq!(
                outcome,
                Some(true),
                "{variant:?} step {tampered_step}: must end, without passing errors on"
            );
        }
    }
}
