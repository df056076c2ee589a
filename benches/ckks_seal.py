#!/usr/bin/env python3
"""Microsoft SEAL (through TenSEAL 0.3.18's `tenseal.sealapi` bindings) on the operations of
`quantumacy bench ckks`, and a side-by-side driver.

Usage:
    python3 benches/ckks_seal.py seal [--reps 20]             # SEAL only, JSON on stdout
    python3 benches/ckks_seal.py compare [--reps 20] [--bin target/release/quantumacy]
                                                              # both, table with ratios (+ --json for JSON)

Parameters mirror the engine's `Preset::N8192Depth3`: N = 8192, coefficient moduli [49, 40, 40, 40] plus the
special prime 49 (SEAL takes the special prime as the last entry: [49, 40, 40, 40, 49]), scale 2^40. SEAL is
single-threaded per operation; `tenseal.sealapi` calls it directly (no TenSEAL thread pool). Times are medians of
`--reps` repetitions of each operation (wall clock, `time.perf_counter`); Python call overhead is ~1 µs per call.

Operations (names as in `quantumacy bench ckks --json`):
- encode+encrypt: encode 4096 reals at the top level, public-key encryption.
- decrypt+decode: of a fresh ciphertext.
- add, mul_plain+rescale, mul+relin+rescale (multiply, relinearize, rescale_to_next), rotate (one step): on
  ciphertexts with `--limbs` data primes (default 4: fresh, top level; 3 = the issue's "3 data limbs").
  encode+encrypt also encodes at that level.
- lr_single_e2e_d1024: encode+encrypt one patient (d = 1024), multiply by the encoded weights, rescale,
  rotate-and-sum (10 power-of-two rotations), add the bias, cubic sigmoid 0.5 + 0.197y - 0.004y^3
  (y^2 and 0.004y in parallel, then their product: depth 3), decrypt and decode slot 0.
- lr_batched_eval_per_patient_d784: 784 column-packed ciphertexts of 4096 patients (setup, untimed); timed:
  sum_j w_j * ct_j with pre-encoded scalar weights (784 multiply_plain + add), one rescale, bias, cubic; the
  median is divided by 4096.
- ciphertext bytes: `Ciphertext.save` (SEAL's own format, default compression) of a fresh public-key and a
  fresh symmetric (seeded) ciphertext.
- precision bits: -log2 max |error| over the 4096 slots, inputs U[-1, 1]: fresh (pk) and after one
  multiply + relinearize + rescale; also fresh symmetric (fresh_seeded).
"""

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

N = 8192
CHAIN = [49, 40, 40, 40, 49]
SCALE = 2.0**40
SIGMOID3 = [0.5, 0.197, 0.0, -0.004]


def median_ms(fn, reps):
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def seal_measure(reps, limbs=4):
    import tenseal
    import tenseal.sealapi as s

    parms = s.EncryptionParameters(s.SCHEME_TYPE.CKKS)
    parms.set_poly_modulus_degree(N)
    parms.set_coeff_modulus(s.CoeffModulus.Create(N, CHAIN))
    ctx = s.SEALContext(parms, True, s.SEC_LEVEL_TYPE.TC128)
    if not ctx.parameters_set():
        raise SystemExit("SEAL rejected the parameters: " + ctx.parameters_error_message())
    keygen = s.KeyGenerator(ctx)
    sk = keygen.secret_key()
    pk = s.PublicKey()
    keygen.create_public_key(pk)
    rlk = s.RelinKeys()
    keygen.create_relin_keys(rlk)
    gk = s.GaloisKeys()
    keygen.create_galois_keys(gk)  # all power-of-two rotations (the LR rotate-and-sum needs 1..512)
    encoder = s.CKKSEncoder(ctx)
    encryptor = s.Encryptor(ctx, pk)
    encryptor.set_secret_key(sk)
    decryptor = s.Decryptor(ctx, sk)
    ev = s.Evaluator(ctx)
    slots = encoder.slot_count()
    rng = random.Random(1)

    def encode(values, scale=SCALE, parms_id=None):
        pt = s.Plaintext()
        if parms_id is None:
            encoder.encode(values, scale, pt)
        else:
            encoder.encode(values, parms_id, scale, pt)
        return pt

    def encrypt(values):
        ct = s.Ciphertext()
        encryptor.encrypt(encode(values), ct)
        return ct

    def decrypt(ct):
        pt = s.Plaintext()
        decryptor.decrypt(ct, pt)
        return encoder.decode_double(pt)

    def bits(got, want):
        err = max(abs(a - b) for a, b in zip(got, want))
        return -math.log2(err)

    x = [rng.uniform(-1.0, 1.0) for _ in range(slots)]
    y = [rng.uniform(-1.0, 1.0) for _ in range(slots)]
    # Basic operations on `limbs` data primes: encode at the level that keeps that many (4 = top).
    data = ctx.first_context_data()
    for _ in range(len(CHAIN) - 1 - limbs):
        data = data.next_context_data()
    op_parms = data.parms_id()

    def encrypt_at(values):
        c = s.Ciphertext()
        encryptor.encrypt(encode(values, SCALE, op_parms), c)
        return c

    ct = encrypt_at(x)
    pt = encode(x, SCALE, op_parms)

    def mul_plain_rescale():
        r = s.Ciphertext()
        ev.multiply_plain(ct, pt, r)
        ev.rescale_to_next_inplace(r)
        return r

    def mul_relin_rescale(a=ct, b=ct):
        r = s.Ciphertext()
        ev.multiply(a, b, r)
        ev.relinearize_inplace(r, rlk)
        ev.rescale_to_next_inplace(r)
        return r

    def add():
        r = s.Ciphertext()
        ev.add(ct, ct, r)
        return r

    def rotate():
        r = s.Ciphertext()
        ev.rotate_vector(ct, 1, gk, r)
        return r

    rows = []

    def row(op, ms):
        rows.append({"op": op, "median_ms": ms, "reps": reps})

    row("encode+encrypt", median_ms(lambda: encrypt_at(x), reps))
    row("decrypt+decode", median_ms(lambda: decrypt(ct), reps))
    row("add", median_ms(add, reps))
    row("mul_plain+rescale", median_ms(mul_plain_rescale, reps))
    row("mul+relin+rescale", median_ms(mul_relin_rescale, reps))
    row("rotate", median_ms(rotate, reps))

    ct = encrypt(x)  # precision: fresh top-level ciphertexts
    cy = encrypt(y)
    pt = encode(x)
    fresh_bits = bits(decrypt(ct), x)
    sym = s.Ciphertext()
    encryptor.encrypt_symmetric(pt, sym)
    fresh_seeded_bits = bits(decrypt(sym), x)
    prod = mul_relin_rescale(ct, cy)
    after_mul_bits = bits(decrypt(prod), [a * b for a, b in zip(x, y)])

    def cubic(yc):
        """0.5 + 0.197 y - 0.004 y^3, depth 2, all scales reset to 2^40 (SEAL needs equal scales to add)."""
        y2 = s.Ciphertext()
        ev.square(yc, y2)
        ev.relinearize_inplace(y2, rlk)
        ev.rescale_to_next_inplace(y2)
        c3 = s.Ciphertext()
        ev.multiply_plain(yc, encode(SIGMOID3[3], SCALE, yc.parms_id()), c3)
        ev.rescale_to_next_inplace(c3)
        y3 = s.Ciphertext()
        y2.scale = SCALE
        c3.scale = SCALE
        ev.multiply(y2, c3, y3)
        ev.relinearize_inplace(y3, rlk)
        ev.rescale_to_next_inplace(y3)
        c1 = s.Ciphertext()
        ev.multiply_plain(yc, encode(SIGMOID3[1], SCALE, yc.parms_id()), c1)
        ev.rescale_to_next_inplace(c1)
        ev.mod_switch_to_inplace(c1, y3.parms_id())
        c1.scale = SCALE
        y3.scale = SCALE
        ev.add_inplace(y3, c1)
        ev.add_plain_inplace(y3, encode(SIGMOID3[0], SCALE, y3.parms_id()))
        return y3

    def add_bias(yc, bias):
        yc.scale = SCALE
        ev.add_plain_inplace(yc, encode(bias, SCALE, yc.parms_id()))

    # LR single vector, d = 1024.
    d = 1024
    w = [rng.uniform(-0.05, 0.05) for _ in range(d)]
    bias = 0.1
    xs = [rng.uniform(0.0, 1.0) for _ in range(d)]
    want_single = sum(a * b for a, b in zip(w, xs)) + bias
    w_pt = encode(w)

    def lr_single():
        c = encrypt(xs)
        yc = s.Ciphertext()
        ev.multiply_plain(c, w_pt, yc)
        ev.rescale_to_next_inplace(yc)
        step = 1
        while step < d:
            r = s.Ciphertext()
            ev.rotate_vector(yc, step, gk, r)
            ev.add_inplace(yc, r)
            step *= 2
        add_bias(yc, bias)
        return decrypt(cubic(yc))[0]

    p_single = lr_single()
    row("lr_single_e2e_d1024", median_ms(lr_single, reps))
    poly = lambda v: SIGMOID3[0] + SIGMOID3[1] * v + SIGMOID3[3] * v**3  # noqa: E731
    lr_single_err = abs(p_single - poly(want_single))

    # LR batched, d = 784, 4096 patients column-packed.
    d = 784
    w = [rng.uniform(-0.05, 0.05) for _ in range(d)]
    cols = [[rng.uniform(0.0, 1.0) for _ in range(slots)] for _ in range(d)]
    cts = []
    for col in cols:
        c = s.Ciphertext()
        encryptor.encrypt_symmetric(encode(col), c)
        cts.append(c)
    top = cts[0].parms_id()
    w_pts = [encode(wj, SCALE, top) for wj in w]

    def lr_batched():
        acc = s.Ciphertext()
        ev.multiply_plain(cts[0], w_pts[0], acc)
        t = s.Ciphertext()
        for c, wp in zip(cts[1:], w_pts[1:]):
            ev.multiply_plain(c, wp, t)
            ev.add_inplace(acc, t)
        ev.rescale_to_next_inplace(acc)
        add_bias(acc, bias)
        return cubic(acc)

    batched_reps = max(5, reps // 2)
    out = lr_batched()
    got = decrypt(out)
    lr_batched_err = max(
        abs(got[i] - poly(sum(w[j] * cols[j][i] for j in range(d)) + bias)) for i in range(0, slots, 256)
    )
    batched_ms = median_ms(lr_batched, batched_reps)
    rows.append({"op": "lr_batched_eval_per_patient_d784", "median_ms": batched_ms / slots, "reps": batched_reps})
    del cts

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "ct")
        ct.save(path)
        pk_bytes = os.path.getsize(path)
        seeded = encryptor.encrypt_symmetric(encode(x))
        seeded.save(path)
        seeded_bytes = os.path.getsize(path)

    return {
        "library": "Microsoft SEAL via tenseal.sealapi " + getattr(tenseal, "__version__", "?"),
        "params": {"n": N, "coeff_modulus_bits": CHAIN, "scale_bits": 40, "slots": slots, "limbs": limbs,
                   "threads": 1},
        "rows": rows,
        "precision_bits": {"fresh": fresh_bits, "fresh_seeded": fresh_seeded_bits, "after_mul": after_mul_bits},
        "ciphertext_bytes": {"seeded": seeded_bytes, "public_key": pk_bytes, "format": "SEAL save (compressed)"},
        "check": {"lr_single_abs_err": lr_single_err, "lr_batched_max_abs_err_sampled": lr_batched_err},
    }


def compare(args):
    ours_cmd = [args.bin, "bench", "ckks", "--json", "--threads", "1", "--reps", str(args.reps)]
    ours_cmd += ["--limbs", str(args.limbs)]
    ours = json.loads(subprocess.run(ours_cmd, check=True, capture_output=True, text=True).stdout)
    seal = seal_measure(args.reps, args.limbs)
    load = os.getloadavg()
    seal_rows = {r["op"]: r for r in seal["rows"]}
    table = []
    for r in ours["rows"]:
        s_row = seal_rows.get(r["op"])
        s_ms = s_row["median_ms"] if s_row else None
        ratio = (r["median_ms"] / s_ms) if s_ms else None
        table.append({"op": r["op"], "ours_ms": r["median_ms"], "seal_ms": s_ms, "ours_over_seal": ratio})
    result = {"load_average": load, "ours": ours, "seal": seal, "table": table}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; medians of {args.reps} reps; one thread;"
          f" basic ops on {args.limbs} data limbs (LR rows: fresh, 4 limbs)")
    print(f"{'op':36} {'ours ms':>12} {'SEAL ms':>12} {'ours/SEAL':>10}")
    for t in table:
        seal_ms = f"{t['seal_ms']:12.4f}" if t["seal_ms"] is not None else f"{'-':>12}"
        ratio = f"{t['ours_over_seal']:10.2f}" if t["ours_over_seal"] is not None else f"{'-':>10}"
        print(f"{t['op']:36} {t['ours_ms']:12.4f} {seal_ms} {ratio}")
    op, sp = ours["precision_bits"], seal["precision_bits"]
    print(f"{'precision bits fresh (pk)':36} {op['fresh']:12.2f} {sp['fresh']:12.2f}")
    print(f"{'precision bits fresh (seeded)':36} {op['fresh_seeded']:12.2f} {sp['fresh_seeded']:12.2f}")
    print(f"{'precision bits after mul':36} {op['after_mul']:12.2f} {sp['after_mul']:12.2f}")
    ob, sb = ours["ciphertext_bytes"], seal["ciphertext_bytes"]
    print(f"{'ciphertext bytes, public-key fresh':36} {ob['public_key']:12} {sb['public_key']:12}")
    print(f"{'ciphertext bytes, seeded fresh':36} {ob['seeded']:12} {sb['seeded']:12}")
    print("ours: wire-format length (quantumacy_ckks::wire); SEAL: Ciphertext.save, default compression")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["seal", "compare"])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--limbs", type=int, default=4, choices=[2, 3, 4], help="data limbs of the basic operations")
    ap.add_argument("--bin", default="target/release/quantumacy")
    ap.add_argument("--json", action="store_true", help="compare: print JSON instead of the table")
    args = ap.parse_args()
    if args.reps < 1:
        sys.exit("--reps must be >= 1")
    if args.mode == "seal":
        print(json.dumps(seal_measure(args.reps, args.limbs), indent=2))
    else:
        compare(args)


if __name__ == "__main__":
    main()
