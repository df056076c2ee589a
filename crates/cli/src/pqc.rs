//! `quantumacy pqc`: ML-KEM (FIPS 203) and ML-DSA (FIPS 204) on files of raw bytes in the standard encodings,
//! so keys, ciphertexts and signatures interoperate with other FIPS 203/204 implementations. Decapsulation keys
//! are the 64-byte seed `d ‖ z`, signing keys the 32-byte seed ξ. Secret files are created with mode 0600.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};
use clap::{Args, Subcommand, ValueEnum};
use quantumacy_pqc::kem::{self, KemParameterSet, MlKem512, MlKem768, MlKem1024};
use quantumacy_pqc::sign::{self, Context, MlDsa44, MlDsa65, MlDsa87, SignatureParameterSet};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::Serialize;

use crate::output::{Failure, Output};

#[derive(Debug, Subcommand)]
pub(crate) enum PqcCommand {
    /// ML-KEM key encapsulation: keygen, encaps, decaps.
    #[command(subcommand)]
    Kem(KemCommand),
    /// ML-DSA signing (`sign --sk … --msg … --sig …`) and key generation (`sign keygen`).
    Sign(SignArgs),
    /// Verify an ML-DSA signature: exit 0 if valid, 1 if not.
    Verify(VerifyArgs),
}

/// ML-KEM parameter set (FIPS 203 Table 2).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum KemLevel {
    /// ML-KEM-512 (category 1).
    #[value(name = "512")]
    L512,
    /// ML-KEM-768 (category 3).
    #[value(name = "768")]
    L768,
    /// ML-KEM-1024 (category 5).
    #[value(name = "1024")]
    L1024,
}

/// ML-DSA parameter set (FIPS 204 Table 1).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum DsaLevel {
    /// ML-DSA-44 (category 2).
    #[value(name = "44")]
    L44,
    /// ML-DSA-65 (category 3).
    #[value(name = "65")]
    L65,
    /// ML-DSA-87 (category 5).
    #[value(name = "87")]
    L87,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KemCommand {
    /// Generate a key pair: encapsulation key (public) and decapsulation-key seed (secret, 64 bytes).
    Keygen {
        /// Where to write the encapsulation key.
        #[arg(long, value_name = "FILE")]
        ek: PathBuf,
        /// Where to write the decapsulation-key seed d ‖ z.
        #[arg(long, value_name = "FILE")]
        dk: PathBuf,
        /// Parameter set.
        #[arg(long, value_enum, default_value = "768")]
        level: KemLevel,
    },
    /// Encapsulate to an encapsulation key: writes the ciphertext and the 32-byte shared secret.
    Encaps {
        /// The encapsulation key.
        #[arg(long, value_name = "FILE")]
        ek: PathBuf,
        /// Where to write the ciphertext.
        #[arg(long, value_name = "FILE")]
        ct: PathBuf,
        /// Where to write the shared secret.
        #[arg(long, value_name = "FILE")]
        ss: PathBuf,
        /// Parameter set.
        #[arg(long, value_enum, default_value = "768")]
        level: KemLevel,
    },
    /// Decapsulate a ciphertext: writes the 32-byte shared secret (implicit rejection: never fails on a
    /// well-sized ciphertext).
    Decaps {
        /// The decapsulation-key seed.
        #[arg(long, value_name = "FILE")]
        dk: PathBuf,
        /// The ciphertext.
        #[arg(long, value_name = "FILE")]
        ct: PathBuf,
        /// Where to write the shared secret.
        #[arg(long, value_name = "FILE")]
        ss: PathBuf,
        /// Parameter set.
        #[arg(long, value_enum, default_value = "768")]
        level: KemLevel,
    },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct SignArgs {
    #[command(subcommand)]
    keygen: Option<SignKeygen>,
    /// The signing-key seed (32 bytes).
    #[arg(long, value_name = "FILE", required = true)]
    sk: Option<PathBuf>,
    /// The message to sign.
    #[arg(long, value_name = "FILE", required = true)]
    msg: Option<PathBuf>,
    /// Where to write the signature.
    #[arg(long, value_name = "FILE", required = true)]
    sig: Option<PathBuf>,
    /// FIPS 204 context string (UTF-8, at most 255 bytes).
    #[arg(long, value_name = "TEXT", default_value = "")]
    context: String,
    /// Deterministic signing (rnd = 0³²) instead of the default hedged signing.
    #[arg(long)]
    deterministic: bool,
    /// Parameter set.
    #[arg(long, value_enum, default_value = "65")]
    level: DsaLevel,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SignKeygen {
    /// Generate a key pair: verifying key (public) and signing-key seed (secret, 32 bytes).
    Keygen {
        /// Where to write the verifying key.
        #[arg(long, value_name = "FILE")]
        vk: PathBuf,
        /// Where to write the signing-key seed ξ.
        #[arg(long, value_name = "FILE")]
        sk: PathBuf,
        /// Parameter set.
        #[arg(long, value_enum, default_value = "65")]
        level: DsaLevel,
    },
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The verifying key.
    #[arg(long, value_name = "FILE")]
    vk: PathBuf,
    /// The signed message.
    #[arg(long, value_name = "FILE")]
    msg: PathBuf,
    /// The signature.
    #[arg(long, value_name = "FILE")]
    sig: PathBuf,
    /// FIPS 204 context string used when signing.
    #[arg(long, value_name = "TEXT", default_value = "")]
    context: String,
    /// Parameter set.
    #[arg(long, value_enum, default_value = "65")]
    level: DsaLevel,
}

#[derive(Debug, Serialize)]
struct Report {
    operation: &'static str,
    parameter_set: &'static str,
    /// Files written (or read, for verify), with their sizes in bytes.
    files: Vec<FileReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid: Option<bool>,
}

#[derive(Debug, Serialize)]
struct FileReport {
    role: &'static str,
    path: String,
    bytes: usize,
}

impl Report {
    fn new(operation: &'static str, parameter_set: &'static str) -> Self {
        Self { operation, parameter_set, files: Vec::new(), valid: None }
    }

    fn file(mut self, role: &'static str, path: &Path, bytes: usize) -> Self {
        self.files.push(FileReport { role, path: path.display().to_string(), bytes });
        self
    }
}

pub(crate) fn run(cmd: PqcCommand, out: &Output) -> Result<(), Failure> {
    let report = match cmd {
        PqcCommand::Kem(KemCommand::Keygen { ek, dk, level }) => match level {
            KemLevel::L512 => kem_keygen::<MlKem512>(&ek, &dk),
            KemLevel::L768 => kem_keygen::<MlKem768>(&ek, &dk),
            KemLevel::L1024 => kem_keygen::<MlKem1024>(&ek, &dk),
        },
        PqcCommand::Kem(KemCommand::Encaps { ek, ct, ss, level }) => match level {
            KemLevel::L512 => kem_encaps::<MlKem512>(&ek, &ct, &ss),
            KemLevel::L768 => kem_encaps::<MlKem768>(&ek, &ct, &ss),
            KemLevel::L1024 => kem_encaps::<MlKem1024>(&ek, &ct, &ss),
        },
        PqcCommand::Kem(KemCommand::Decaps { dk, ct, ss, level }) => match level {
            KemLevel::L512 => kem_decaps::<MlKem512>(&dk, &ct, &ss),
            KemLevel::L768 => kem_decaps::<MlKem768>(&dk, &ct, &ss),
            KemLevel::L1024 => kem_decaps::<MlKem1024>(&dk, &ct, &ss),
        },
        PqcCommand::Sign(SignArgs { keygen: Some(SignKeygen::Keygen { vk, sk, level }), .. }) => {
            match level {
                DsaLevel::L44 => sign_keygen::<MlDsa44>(&vk, &sk),
                DsaLevel::L65 => sign_keygen::<MlDsa65>(&vk, &sk),
                DsaLevel::L87 => sign_keygen::<MlDsa87>(&vk, &sk),
            }
        }
        PqcCommand::Sign(args) => {
            let missing = |name| Failure::usage(anyhow!("pqc sign needs --{name}"));
            let sk = args.sk.as_deref().ok_or_else(|| missing("sk"))?;
            let msg = args.msg.as_deref().ok_or_else(|| missing("msg"))?;
            let sig = args.sig.as_deref().ok_or_else(|| missing("sig"))?;
            let (ctx, det) = (args.context.as_bytes(), args.deterministic);
            match args.level {
                DsaLevel::L44 => sign_file::<MlDsa44>(sk, msg, sig, ctx, det),
                DsaLevel::L65 => sign_file::<MlDsa65>(sk, msg, sig, ctx, det),
                DsaLevel::L87 => sign_file::<MlDsa87>(sk, msg, sig, ctx, det),
            }
        }
        PqcCommand::Verify(a) => {
            let ctx = a.context.as_bytes();
            match a.level {
                DsaLevel::L44 => verify_file::<MlDsa44>(&a.vk, &a.msg, &a.sig, ctx),
                DsaLevel::L65 => verify_file::<MlDsa65>(&a.vk, &a.msg, &a.sig, ctx),
                DsaLevel::L87 => verify_file::<MlDsa87>(&a.vk, &a.msg, &a.sig, ctx),
            }
        }
    }?;
    out.emit(&report, human)?;
    if report.valid == Some(false) {
        return Err(Failure::failed(anyhow!("signature is not valid")));
    }
    Ok(())
}

fn human(r: &Report) -> String {
    let mut text = match r.valid {
        Some(true) => format!("{}: signature valid\n", r.parameter_set),
        Some(false) => format!("{}: signature NOT valid\n", r.parameter_set),
        None => format!("{} {}\n", r.parameter_set, r.operation),
    };
    if r.valid.is_none() {
        for f in &r.files {
            text.push_str(&format!("  {:<10} {:>6} B  {}\n", f.role, f.bytes, f.path));
        }
    }
    text
}

pub(crate) fn os_rng() -> Result<ChaCha20Rng, Failure> {
    ChaCha20Rng::try_from_rng(&mut rand::rngs::SysRng)
        .map_err(|e| Failure::failed(anyhow!("operating-system randomness unavailable: {e}")))
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    fs::read(path).with_context(|| format!("cannot read {}", path.display())).map_err(Failure::failed)
}

fn write_public(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    fs::write(path, bytes)
        .with_context(|| format!("cannot write {}", path.display()))
        .map_err(Failure::failed)
}

/// Writes a secret file readable by its owner only (on Unix), replacing any existing file.
fn write_secret(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .with_context(|| format!("cannot write {}", path.display()))
        .map_err(Failure::failed)
}

fn pqc_error(path: &Path) -> impl FnOnce(quantumacy_pqc::Error) -> Failure + '_ {
    move |e| Failure::failed(anyhow!("{}: {e}", path.display()))
}

fn kem_keygen<P: KemParameterSet>(ek_path: &Path, dk_path: &Path) -> Result<Report, Failure> {
    let dk = kem::DecapsulationKey::<P>::generate(&mut os_rng()?);
    let ek = dk.encapsulation_key().to_bytes();
    write_secret(dk_path, &dk.to_seed()[..])?;
    write_public(ek_path, &ek)?;
    Ok(Report::new("kem keygen", P::NAME).file("ek", ek_path, ek.len()).file(
        "dk (seed)",
        dk_path,
        kem::SEED_LEN,
    ))
}

fn kem_encaps<P: KemParameterSet>(ek_path: &Path, ct_path: &Path, ss_path: &Path) -> Result<Report, Failure> {
    let ek = kem::EncapsulationKey::<P>::from_bytes(&read(ek_path)?).map_err(pqc_error(ek_path))?;
    let (ct, ss) = ek.encapsulate(&mut os_rng()?);
    write_public(ct_path, ct.as_bytes())?;
    write_secret(ss_path, ss.expose_secret())?;
    Ok(Report::new("kem encaps", P::NAME).file("ct", ct_path, ct.as_bytes().len()).file(
        "ss",
        ss_path,
        kem::SHARED_SECRET_LEN,
    ))
}

fn kem_decaps<P: KemParameterSet>(dk_path: &Path, ct_path: &Path, ss_path: &Path) -> Result<Report, Failure> {
    let seed = zeroize::Zeroizing::new(read(dk_path)?);
    let dk = kem::DecapsulationKey::<P>::from_seed(&seed).map_err(pqc_error(dk_path))?;
    let ct = kem::Ciphertext::<P>::from_bytes(&read(ct_path)?).map_err(pqc_error(ct_path))?;
    let ss = dk.decapsulate(&ct);
    write_secret(ss_path, ss.expose_secret())?;
    Ok(Report::new("kem decaps", P::NAME).file("ss", ss_path, kem::SHARED_SECRET_LEN))
}

fn sign_keygen<P: SignatureParameterSet>(vk_path: &Path, sk_path: &Path) -> Result<Report, Failure> {
    let sk = sign::SigningKey::<P>::generate(&mut os_rng()?);
    let vk = sk.verifying_key().to_bytes();
    write_secret(sk_path, &sk.to_seed()[..])?;
    write_public(vk_path, &vk)?;
    Ok(Report::new("sign keygen", P::NAME).file("vk", vk_path, vk.len()).file(
        "sk (seed)",
        sk_path,
        sign::SEED_LEN,
    ))
}

fn context(ctx: &[u8]) -> Result<Context<'_>, Failure> {
    Context::new(ctx).map_err(Failure::usage)
}

fn sign_file<P: SignatureParameterSet>(
    sk_path: &Path,
    msg_path: &Path,
    sig_path: &Path,
    ctx: &[u8],
    deterministic: bool,
) -> Result<Report, Failure> {
    let ctx = context(ctx)?;
    let seed = zeroize::Zeroizing::new(read(sk_path)?);
    let sk = sign::SigningKey::<P>::from_seed(&seed).map_err(pqc_error(sk_path))?;
    let msg = read(msg_path)?;
    let sig =
        if deterministic { sk.sign_deterministic(&msg, ctx) } else { sk.sign(&msg, ctx, &mut os_rng()?) }
            .map_err(Failure::failed)?;
    write_public(sig_path, sig.as_bytes())?;
    Ok(Report::new("sign", P::NAME).file("sig", sig_path, sig.as_bytes().len()))
}

fn verify_file<P: SignatureParameterSet>(
    vk_path: &Path,
    msg_path: &Path,
    sig_path: &Path,
    ctx: &[u8],
) -> Result<Report, Failure> {
    let ctx = context(ctx)?;
    let vk = sign::VerifyingKey::<P>::from_bytes(&read(vk_path)?).map_err(pqc_error(vk_path))?;
    let msg = read(msg_path)?;
    let sig_bytes = read(sig_path)?;
    // A signature of the wrong length is simply not valid (FIPS 204 Algorithm 3 returns false).
    let valid =
        sign::Signature::<P>::from_bytes(&sig_bytes).is_ok_and(|sig| vk.verify(&msg, ctx, &sig).is_ok());
    let mut report = Report::new("verify", P::NAME).file("msg", msg_path, msg.len()).file(
        "sig",
        sig_path,
        sig_bytes.len(),
    );
    report.valid = Some(valid);
    Ok(report)
}
