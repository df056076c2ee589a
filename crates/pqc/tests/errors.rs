//! Pins the `Display` strings of every error variant: callers and logs match on them.

use quantumacy_pqc::{Error, Rejected};

#[test]
fn display_strings_are_pinned() {
    let cases: Vec<(Error, &str)> = vec![
        (
            Error::Length { what: "ML-KEM ciphertext", expected: 1088, actual: 3 },
            "ML-KEM ciphertext: expected 1088 bytes, got 3",
        ),
        (Error::Encoding { what: "ML-KEM encapsulation key" }, "invalid ML-KEM encapsulation key encoding"),
        (Error::ContextTooLong { len: 256 }, "context string is 256 bytes; FIPS 204 allows at most 255"),
        (Error::UnknownParameterSet("ML-KEM-999".into()), "unknown parameter set \"ML-KEM-999\""),
        (Error::Verification, "signature verification failed"),
        (Error::Decryption, "decryption failed"),
        (Error::Signing, "signing failed"),
        (Error::Encryption, "encryption failed"),
        (
            Error::TooLong { what: "HPKE info", len: 2000, limit: 1024 },
            "HPKE info is 2000 bytes, over the 1024-byte limit",
        ),
        (Error::Oversize { len: 10, limit: 9 }, "envelope is 10 bytes, over the 9-byte limit"),
        (Error::Malformed { what: "envelope" }, "malformed envelope"),
        (Error::FormatVersion { found: 0, expected: 1 }, "format version 0 is not supported (expected 1)"),
        (
            Error::WrongType { found: "x".into(), expected: "quantumacy-pqc/SealedMessage" },
            "envelope holds \"x\", expected \"quantumacy-pqc/SealedMessage\"",
        ),
        (
            Error::WrongReceiver { found: 1, expected: 2 },
            "message addressed to party 1, not to this receiver (2)",
        ),
        (Error::UnknownSender(9), "unknown sender 9"),
        (
            Error::Replay { session: "ab".into(), round: 3, sequence: 4 },
            "replayed message: session ab, round 3, sequence 4 already accepted",
        ),
        (Error::KeyReuse("k".into()), "QKD key k was already used"),
        (
            Error::KeyIdMismatch { expected: "a".into(), found: "b".into() },
            "QKD key b supplied for a message sealed under key a",
        ),
        (Error::MissingKey("k".into()), "no QKD key available for key ID k"),
    ];
    for (error, text) in cases {
        assert_eq!(error.to_string(), text);
        assert_eq!(error.for_peer(), Rejected);
    }
    assert_eq!(Rejected.to_string(), "message rejected");
}
