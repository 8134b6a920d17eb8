//! `kura demo`: the whole flow on built-in dummy data, step by step, with
//! the real commands (each step runs this same kura binary).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Args;
use serde_json::json;

use super::{t, Report};
use kura::error::{Error, IoContext, Kind, Result};

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Keep the demo's files in this folder (a new or empty one) instead of a temporary one that is removed at the end
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
}

const FAMILY: [&str; 8] = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村"];
const GIVEN: [&str; 8] = ["太郎", "花子", "一郎", "美咲", "健太", "陽子", "翔", "さくら"];

/// Writes a small dummy clinic export. Nobody in it is real.
pub fn write_dummy_export(dir: &Path) -> Result<()> {
    let mut seed: u64 = 0x6b75_7261;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    fs::create_dir_all(dir.join("csv")).at(dir.display())?;
    fs::create_dir_all(dir.join("receipts")).at(dir.display())?;
    fs::create_dir_all(dir.join("scans")).at(dir.display())?;
    let mut dump = String::from("-- PostgreSQL database dump (DUMMY DATA, no real patients)\nCOPY public.tbl_ptinf (ptid, ptnum, name) FROM stdin;\n");
    let mut csv = String::from("患者番号,氏名,生年月日\n");
    for i in 1..=2000u64 {
        let name = format!("{}　{}", FAMILY[(next() % 8) as usize], GIVEN[(next() % 8) as usize]);
        dump.push_str(&format!("{i}\t{i:08}\t{name}（ダミー）\n"));
        csv.push_str(&format!(
            "{i:08},{name}（ダミー）,19{:02}-0{}-1{}\n",
            next() % 100,
            1 + next() % 9,
            next() % 10
        ));
    }
    dump.push_str("\\.\n");
    fs::write(dir.join("orca_dump_dummy.sql"), dump).at(dir.display())?;
    fs::write(dir.join("csv").join("患者一覧_ダミー.csv"), csv).at(dir.display())?;
    for i in 0..20u64 {
        let body = format!("112007410 高血圧症（ダミー） {}点\n", 10 + next() % 900);
        fs::write(dir.join("receipts").join(format!("receipt_{i:04}.txt")), body).at(dir.display())?;
    }
    let scan: Vec<u8> = (0..64 * 1024).map(|_| next() as u8).collect();
    fs::write(dir.join("scans").join("scan_0001.jpg"), scan).at(dir.display())?;
    Ok(())
}

/// The running commentary: on stdout for people, never under `--json` or
/// `--quiet` (stdout then carries the one JSON document, or nothing).
fn commentary(text: &str) {
    if !super::json_mode() && !super::quiet_mode() {
        super::say(text);
    }
}

struct Demo {
    exe: PathBuf,
    dir: PathBuf,
    step: usize,
    lines: Vec<String>,
}

impl Demo {
    fn run(&mut self, title: &str, args: &[&str]) -> Result<String> {
        self.step += 1;
        let header = format!("\n== {}. {title}", self.step);
        let words: Vec<std::borrow::Cow<str>> = args.iter().map(|a| super::shell::quote(a)).collect();
        let cmdline = format!("$ kura {}", words.join(" "));
        commentary(&format!("{header}\n{cmdline}"));
        self.lines.push(header);
        self.lines.push(cmdline);
        // Every step speaks the demo's language, whatever the locale says.
        let out = Command::new(&self.exe)
            .args(["--lang", kura::i18n::lang().code()])
            .args(args)
            .current_dir(&self.dir)
            .env("KURA_PASSPHRASE_FILE", "")
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| Error::io(e, self.exe.display()))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if !stdout.is_empty() {
            commentary(stdout.trim_end_matches('\n'));
        }
        if !out.status.success() {
            // The step's own error line becomes the detail of the demo's
            // one error line (printed once, not twice).
            let detail = ["kura: error: ", "kura: エラー: "]
                .iter()
                .find_map(|p| stderr.trim().strip_prefix(p))
                .unwrap_or(stderr.trim());
            return Err(Error::new(Kind::Internal, "err-demo-step")
                .arg("step", title)
                .arg("detail", detail));
        }
        eprint!("{stderr}");
        Ok(stdout)
    }

    /// Makes the engineer's and the clinic's keys, and the lists of
    /// signers and recipients that name them.
    fn make_keys(&mut self) -> Result<()> {
        self.run(
            &t("msg-demo-step-keys-engineer", &[]),
            &[
                "keygen",
                "-o",
                "engineer.key",
                "--comment",
                "engineer@vendor.example",
                "--no-passphrase",
            ],
        )?;
        self.run(
            &t("msg-demo-step-keys-clinic", &[]),
            &[
                "keygen",
                "-o",
                "clinic.key",
                "--comment",
                "clinic@clinic.example",
                "--no-passphrase",
            ],
        )?;
        let eng = fs::read_to_string(self.dir.join("engineer.key.pub")).at("engineer.key.pub")?;
        let cli = fs::read_to_string(self.dir.join("clinic.key.pub")).at("clinic.key.pub")?;
        let signers = format!(
            "engineer@vendor.example {}\nclinic@clinic.example {}\n",
            eng.trim(),
            cli.trim()
        );
        fs::write(self.dir.join("allowed_signers"), signers).at("allowed_signers")?;
        let recipients = format!("# who may open the vault\n{}\n{}\n", eng.trim(), cli.trim());
        fs::write(self.dir.join("recipients.txt"), recipients).at("recipients.txt")?;
        // The clinic's key, the only one that signs its approvals.
        let key: Vec<&str> = cli.split_whitespace().take(2).collect();
        let clinic_signers = format!("clinic namespaces=\"kura-approval\" {}\n", key.join(" "));
        fs::write(self.dir.join("clinic_signers"), clinic_signers).at("clinic_signers")?;
        Ok(())
    }

    /// The clinic signs its take-out approval for the engineer's key, then
    /// the engineer packs the export under it, and hands the vault over to
    /// the clinic, which keeps its own copy of the custody log and enters
    /// it in its ledger.
    fn pack_and_hand_over(&mut self) -> Result<()> {
        let delete_by = (kura::clock::today() + chrono::Days::new(14))
            .format("%Y-%m-%d")
            .to_string();
        self.run(
            &t("msg-demo-step-approve", &[]),
            &[
                "approve",
                "-o",
                "APPROVAL.json",
                "-i",
                "clinic.key",
                "--approval-id",
                "APP-2026-001",
                "--approved-by",
                "院長 山田（ダミー）",
                "--role",
                "企画管理者",
                "--clinic",
                "ダミー医院",
                "--engineer",
                "engineer.key.pub",
                "--recipient",
                "clinic.key.pub",
                "--purpose",
                "レセプト不具合の調査 (dummy)",
                "--scope",
                "レセプト関連テーブル、直近3か月分（ダミー）",
                "--delete-by",
                &delete_by,
                "--medium",
                "暗号化USBメモリ #3",
                "--max-size",
                "100M",
            ],
        )?;
        self.run(
            &t("msg-demo-step-pack", &[]),
            &[
                "pack",
                "-o",
                "export.kura",
                "-R",
                "recipients.txt",
                "-i",
                "engineer.key",
                "--approval",
                "APPROVAL.json",
                "--clinic-signers",
                "clinic_signers",
                "export",
            ],
        )?;
        self.run(&t("msg-demo-step-inspect", &[]), &["inspect", "export.kura"])?;
        self.run(
            &t("msg-demo-step-handover", &[]),
            &[
                "custody",
                "add",
                "export.kura",
                "--event",
                "handover",
                "--note",
                "USB stick #3",
                "-i",
                "clinic.key",
            ],
        )?;
        // The clinic keeps its own copy of the log as it stood at hand-over:
        // the certificate's chain must begin with exactly these records.
        let clinic_copy = self.dir.join("clinic-copy.custody");
        fs::copy(self.dir.join("export.kura.custody"), &clinic_copy).at(clinic_copy.display())?;
        commentary(&t("msg-demo-clinic-copy", &[("path", "clinic-copy.custody")]));
        self.run(
            &t("msg-demo-step-ledger-add", &[]),
            &[
                "ledger",
                "add",
                "clinic-copy.custody",
                "--signers",
                "allowed_signers",
                "--ledger",
                "ledger.sqlite",
            ],
        )?;
        Ok(())
    }

    /// Verifies and extracts the vault, deletes what was extracted and
    /// certifies that.
    fn open_and_certify(&mut self) -> Result<()> {
        self.run(
            &t("msg-demo-step-verify", &[]),
            &[
                "verify",
                "export.kura",
                "-i",
                "engineer.key",
                "--signers",
                "allowed_signers",
            ],
        )?;
        self.run(
            &t("msg-demo-step-extract", &[]),
            &[
                "extract",
                "export.kura",
                "-i",
                "engineer.key",
                "-C",
                "work",
                "--signers",
                "allowed_signers",
            ],
        )?;
        self.run(
            &t("msg-demo-step-certify", &[]),
            &[
                "certify",
                "export.kura",
                "--deleted",
                "work",
                "-i",
                "engineer.key",
                "--issuer-name",
                "技術 一郎（ダミー）",
                "--organisation",
                "ダミー医療システム株式会社",
                "-o",
                "certificate.json",
            ],
        )?;
        Ok(())
    }

    /// Checks the custody log and the certificate, closes the vault in
    /// the ledger and renders the printable certificate.
    fn check_and_close(&mut self) -> Result<()> {
        self.run(
            &t("msg-demo-step-custody-show", &[]),
            &["custody", "show", "export.kura"],
        )?;
        self.run(
            &t("msg-demo-step-custody-verify", &[]),
            &["custody", "verify", "export.kura", "--signers", "allowed_signers"],
        )?;
        self.run(
            &t("msg-demo-step-certificate-verify", &[]),
            &[
                "certificate",
                "verify",
                "certificate.json",
                "--custody",
                "clinic-copy.custody",
                "--signers",
                "allowed_signers",
            ],
        )?;
        self.run(
            &t("msg-demo-step-ledger-close", &[]),
            &[
                "ledger",
                "close",
                "certificate.json",
                "--signers",
                "allowed_signers",
                "--ledger",
                "ledger.sqlite",
            ],
        )?;
        self.run(
            &t("msg-demo-step-ledger-list", &[]),
            &["ledger", "list", "--ledger", "ledger.sqlite"],
        )?;
        self.run(
            &t("msg-demo-step-render", &[]),
            &[
                "certificate",
                "render",
                "certificate.json",
                "-o",
                "certificate.html",
                "--signers",
                "allowed_signers",
                "--custody",
                "clinic-copy.custody",
            ],
        )?;
        Ok(())
    }
}

/// The folder of `demo --keep DIR`: a new or empty one, so that the demo's
/// files never mix with (or overwrite) anything already there.
fn kept_folder(d: &Path) -> Result<PathBuf> {
    let taken = match fs::symlink_metadata(d) {
        Ok(m) => !m.is_dir() || !kura::vault::stage::is_empty_dir(d)?,
        Err(_) => false,
    };
    if taken {
        return Err(Error::new(Kind::Exists, "err-demo-keep-exists").arg("dir", d.display()));
    }
    fs::create_dir_all(d).at(d.display())?;
    Ok(d.to_path_buf())
}

pub fn run(a: DemoArgs) -> Result<Report> {
    let mut tmp = None;
    let dir = match &a.keep {
        Some(d) => kept_folder(d)?,
        None => {
            let folder = tempfile::Builder::new().prefix("kura-demo-").tempdir().at("temp")?;
            let dir = folder.path().to_path_buf();
            tmp = Some(folder);
            dir
        }
    };
    let exe = std::env::current_exe().map_err(|e| Error::io(e, "kura"))?;
    let shown = dir.display().to_string();
    let intro = if tmp.is_some() {
        "msg-demo-intro"
    } else {
        "msg-demo-intro-kept"
    };
    commentary(&t(intro, &[("dir", &shown)]));
    write_dummy_export(&dir.join("export"))?;
    let mut d = Demo {
        exe,
        dir: dir.clone(),
        step: 0,
        lines: vec![],
    };
    d.make_keys()?;
    d.pack_and_hand_over()?;
    d.open_and_certify()?;
    d.check_and_close()?;
    commentary(&format!("\n{}", t("msg-demo-done", &[])));
    match tmp {
        Some(folder) => {
            folder.close().at(&shown)?;
            commentary(&t("msg-demo-removed", &[("dir", &shown)]));
        }
        None => commentary(&t("msg-demo-kept", &[("dir", &shown)])),
    }
    Ok(Report::new(
        json!({ "dir": dir.display().to_string(), "steps": d.step }),
    ))
}
