//! The tests' own dummy clinic export: what a receipt system's unavoidable
//! export usually holds, made up from small fixed lists by a seeded
//! generator, so that it is the same on every run and on every computer,
//! and nobody in it is real.
//!
//! - `orca_dump.sql`: a PostgreSQL plain-text dump (patients, then
//!   treatment lines): text that compresses well. With
//!   [`Corpus::custom_dump`], `orca.dump` instead, shaped like a
//!   custom-format dump (`pg_dump -Fc`, the receipt system's usual backup),
//!   whose table data is already compressed: incompressible.
//! - `csv/患者一覧.csv` in Shift_JIS and `csv/visits_utf8.csv` in UTF-8,
//!   both with CRLF line ends, as spreadsheet extracts are.
//! - `receipts/NNN/receipt_NNNNNN.txt`: many small files, 500 a folder.
//! - `scans/scan_NNNN.jpg`: scans, incompressible binary data.
//!
//! Of [`Corpus::size`], the dump takes about 60%, the CSVs 5% and the
//! scans 33%; the receipts come on top.

use std::fs;
use std::path::Path;

use crate::common::{listing, names_in, Meta};

/// The shape of a dummy export.
#[derive(Clone, Debug)]
pub struct Corpus {
    /// About how many bytes the dump, the CSVs and the scans take together
    /// (0: the smallest export, a dump of 100 patients and no scans).
    pub size: u64,
    /// How many small receipt files.
    pub receipts: usize,
    /// A custom-format dump (incompressible) instead of a plain one.
    pub custom_dump: bool,
    /// The generator's seed: the same seed, the same export.
    pub seed: u64,
}

impl Corpus {
    /// The smallest export: a plain dump of 100 patients, the two CSVs,
    /// `receipts` receipt files and an empty `scans/`.
    pub fn small(receipts: usize) -> Corpus {
        Corpus {
            size: 0,
            receipts,
            custom_dump: false,
            seed: 1,
        }
    }

    /// An export of about `mib` MiB with a custom-format dump and 2000
    /// receipts: large, and mostly incompressible.
    pub fn large(mib: u64) -> Corpus {
        Corpus {
            size: mib << 20,
            receipts: 2000,
            custom_dump: true,
            seed: 1,
        }
    }

    /// Writes the export into `dir` (created if need be).
    pub fn write(&self, dir: &Path) {
        let mut rng = Rng(self.seed);
        fs::create_dir_all(dir).expect("mkdir export");
        let patients = (self.size / 4000).max(100) as usize;
        let dump = self.size * 60 / 100;
        if self.custom_dump {
            write_custom_dump(&dir.join("orca.dump"), &mut rng, dump);
        } else {
            write_plain_dump(&dir.join("orca_dump.sql"), &mut rng, dump, patients);
        }
        write_csvs(&dir.join("csv"), &mut rng, self.size * 5 / 100, patients);
        write_receipts(&dir.join("receipts"), &mut rng, self.receipts);
        write_scans(&dir.join("scans"), &mut rng, self.size * 33 / 100);
    }
}

/// splitmix64: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `lo..hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }

    fn pick<'a, T>(&mut self, list: &'a [T]) -> &'a T {
        &list[self.next() as usize % list.len()]
    }

    /// `len` incompressible bytes (BLAKE3 in extendable-output mode, keyed
    /// by the next number).
    fn noise(&mut self, len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        let mut h = blake3::Hasher::new();
        h.update(&self.next().to_le_bytes());
        h.finalize_xof().fill(&mut out);
        out
    }
}

/// Family names: kanji, katakana, half-width katakana.
const FAMILY: [(&str, &str, &str); 12] = [
    ("青木", "アオキ", "ｱｵｷ"),
    ("石川", "イシカワ", "ｲｼｶﾜ"),
    ("上田", "ウエダ", "ｳｴﾀﾞ"),
    ("遠藤", "エンドウ", "ｴﾝﾄﾞｳ"),
    ("大野", "オオノ", "ｵｵﾉ"),
    ("岡田", "オカダ", "ｵｶﾀﾞ"),
    ("川口", "カワグチ", "ｶﾜｸﾞﾁ"),
    ("菊地", "キクチ", "ｷｸﾁ"),
    ("北村", "キタムラ", "ｷﾀﾑﾗ"),
    ("桜井", "サクライ", "ｻｸﾗｲ"),
    ("杉山", "スギヤマ", "ｽｷﾞﾔﾏ"),
    ("高木", "タカギ", "ﾀｶｷﾞ"),
];

/// Given names, as [`FAMILY`].
const GIVEN: [(&str, &str, &str); 12] = [
    ("一郎", "イチロウ", "ｲﾁﾛｳ"),
    ("和子", "カズコ", "ｶｽﾞｺ"),
    ("健二", "ケンジ", "ｹﾝｼﾞ"),
    ("幸子", "サチコ", "ｻﾁｺ"),
    ("修", "オサム", "ｵｻﾑ"),
    ("智子", "トモコ", "ﾄﾓｺ"),
    ("大輝", "ダイキ", "ﾀﾞｲｷ"),
    ("直美", "ナオミ", "ﾅｵﾐ"),
    ("浩二", "コウジ", "ｺｳｼﾞ"),
    ("真理", "マリ", "ﾏﾘ"),
    ("悠斗", "ユウト", "ﾕｳﾄ"),
    ("陽菜", "ヒナ", "ﾋﾅ"),
];

const PREFECTURE: [&str; 8] = [
    "埼玉県",
    "千葉県",
    "兵庫県",
    "広島県",
    "宮城県",
    "静岡県",
    "長野県",
    "熊本県",
];
const TOWN: [&str; 8] = ["東町", "西区", "若葉台", "旭区", "栄町", "緑ヶ丘", "本郷", "港南"];
const DIAGNOSIS: [&str; 10] = [
    "気管支喘息",
    "胃潰瘍",
    "花粉症",
    "片頭痛",
    "変形性膝関節症",
    "高尿酸血症",
    "鉄欠乏性貧血",
    "慢性腎臓病",
    "逆流性食道炎",
    "本態性高血圧症",
];
const DEPARTMENT: [&str; 5] = ["内科", "外科", "整形外科", "小児科", "皮膚科"];

/// One dummy patient.
struct Patient {
    id: usize,
    family: (&'static str, &'static str, &'static str),
    given: (&'static str, &'static str, &'static str),
    male: bool,
    born: (u64, u64, u64),
    address: String,
    phone: String,
}

impl Patient {
    fn new(id: usize, rng: &mut Rng) -> Patient {
        Patient {
            id,
            family: *rng.pick(&FAMILY),
            given: *rng.pick(&GIVEN),
            male: rng.next().is_multiple_of(2),
            born: (rng.range(1930, 2021), rng.range(1, 13), rng.range(1, 29)),
            address: format!(
                "{}{}{}丁目{}-{}",
                rng.pick(&PREFECTURE),
                rng.pick(&TOWN),
                rng.range(1, 10),
                rng.range(1, 30),
                rng.range(1, 20)
            ),
            phone: format!(
                "0{}-{:03}-{:04}",
                rng.range(10, 100),
                rng.range(100, 1000),
                rng.range(0, 10000)
            ),
        }
    }

    fn number(&self) -> String {
        format!("{:08}", self.id)
    }

    fn birthday(&self) -> String {
        let (y, m, d) = self.born;
        format!("{y}-{m:02}-{d:02}")
    }
}

fn patients(rng: &mut Rng, n: usize) -> Vec<Patient> {
    (1..=n).map(|id| Patient::new(id, rng)).collect()
}

/// A treatment date between 2020 and 2025, as `YYYYMMDD`.
fn treatment_day(rng: &mut Rng) -> String {
    format!(
        "{}{:02}{:02}",
        rng.range(2020, 2026),
        rng.range(1, 13),
        rng.range(1, 29)
    )
}

/// A nine-digit procedure code.
fn procedure(rng: &mut Rng) -> u64 {
    rng.range(100_000_000, 700_000_000)
}

fn write_plain_dump(path: &Path, rng: &mut Rng, target: u64, n: usize) {
    let mut s = String::from(
        "--\n-- PostgreSQL database dump\n-- DUMMY DATA made by kura's tests: no real patient\n--\n\n\
         SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n\n\
         COPY public.tbl_ptinf (ptid, ptnum, name, kananame, sex, birthday, home_adrs, home_tel1) FROM stdin;\n",
    );
    for p in patients(rng, n) {
        s.push_str(&format!(
            "{}\t{}\t{}　{}\t{}　{}\t{}\t{}\t{}\t{}\n",
            p.id,
            p.number(),
            p.family.0,
            p.given.0,
            p.family.1,
            p.given.1,
            if p.male { 1 } else { 2 },
            p.birthday(),
            p.address,
            p.phone
        ));
    }
    s.push_str("\\.\n\nCOPY public.tbl_sryact (ptid, sryymd, srycd, suryo, kaisu, tensu, byomei) FROM stdin;\n");
    while (s.len() as u64) < target {
        s.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            rng.range(1, n as u64 + 1),
            treatment_day(rng),
            procedure(rng),
            rng.range(1, 30),
            rng.range(1, 4),
            rng.range(10, 900),
            rng.pick(&DIAGNOSIS)
        ));
    }
    s.push_str("\\.\n\n--\n-- PostgreSQL database dump complete\n--\n");
    fs::write(path, s).expect("write the dump");
}

/// A custom-format dump's shape: a header, a table of contents, then the
/// tables' data in length-prefixed compressed blocks (random bytes here:
/// as incompressible as compressed data).
fn write_custom_dump(path: &Path, rng: &mut Rng, target: u64) {
    let mut out = b"PGDMP\x01\x0e\x00".to_vec();
    let toc = "TOC: public.tbl_ptinf TABLE DATA; public.tbl_sryact TABLE DATA (DUMMY DATA made by kura's tests)\n";
    out.extend_from_slice(toc.as_bytes());
    while (out.len() as u64) < target {
        let len = (target - out.len() as u64).min(1 << 20) as usize;
        out.extend_from_slice(&(len as u32).to_le_bytes());
        out.extend(rng.noise(len));
    }
    fs::write(path, out).expect("write the dump");
}

/// `text` in Shift_JIS: ASCII, half-width katakana and the characters of
/// [`SJIS_CHARS`] (all the export's Shift_JIS file uses).
fn shift_jis(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match c as u32 {
            0..=0x7f => out.push(c as u8),
            // Half-width katakana: one byte, 0xA1 to 0xDF.
            0xff61..=0xff9f => out.push((c as u32 - 0xff61 + 0xa1) as u8),
            _ => {
                let at = SJIS_CHARS
                    .chars()
                    .position(|k| k == c)
                    .unwrap_or_else(|| panic!("{c:?} is not in the Shift_JIS table"));
                out.extend_from_slice(&SJIS_CODES[2 * at..2 * at + 2]);
            }
        }
    }
    out
}

fn write_csvs(dir: &Path, rng: &mut Rng, target: u64, n: usize) {
    fs::create_dir_all(dir).expect("mkdir csv");
    let half = target / 2;
    let mut list = String::from("患者番号,氏名,カナ氏名,性別,生年月日,住所,電話\r\n");
    for (i, p) in patients(rng, n).iter().enumerate() {
        list.push_str(&format!(
            "{},{}　{},{} {},{},{},{},{}\r\n",
            p.number(),
            p.family.0,
            p.given.0,
            p.family.2,
            p.given.2,
            if p.male { "男" } else { "女" },
            p.birthday(),
            p.address,
            p.phone
        ));
        if i >= 2 && list.len() as u64 > half {
            break;
        }
    }
    fs::write(dir.join("患者一覧.csv"), shift_jis(&list)).expect("write CSV");
    let mut visits = String::from("patient,date,department,points\r\n");
    let mut i = 0;
    while i < 3 || (visits.len() as u64) < half {
        visits.push_str(&format!(
            "{:08},{},{},{}\r\n",
            rng.range(1, n as u64 + 1),
            treatment_day(rng),
            rng.pick(&DEPARTMENT),
            rng.range(10, 2000)
        ));
        i += 1;
    }
    fs::write(dir.join("visits_utf8.csv"), visits).expect("write CSV");
}

fn write_receipts(dir: &Path, rng: &mut Rng, count: usize) {
    for i in 0..count {
        let sub = dir.join(format!("{:03}", i / 500));
        fs::create_dir_all(&sub).expect("mkdir receipts");
        let mut text = String::new();
        for _ in 0..rng.range(1, 12) {
            text.push_str(&format!(
                "{} {} {}点\n",
                procedure(rng),
                rng.pick(&DIAGNOSIS),
                rng.range(10, 900)
            ));
        }
        fs::write(sub.join(format!("receipt_{i:06}.txt")), text).expect("write receipt");
    }
}

fn write_scans(dir: &Path, rng: &mut Rng, target: u64) {
    fs::create_dir_all(dir).expect("mkdir scans");
    let (mut done, mut i) = (0, 0);
    while done < target {
        let size = (target - done).min(rng.range(200_000, 4_000_000));
        let mut jpeg = b"\xff\xd8\xff\xe0".to_vec();
        jpeg.extend(rng.noise(size as usize));
        jpeg.extend_from_slice(b"\xff\xd9");
        fs::write(dir.join(format!("scan_{i:04}.jpg")), jpeg).expect("write scan");
        done += size + 6;
        i += 1;
    }
}

/// The full-width characters the Shift_JIS CSV uses (its header, the kanji
/// names, addresses and sexes), and their Shift_JIS codes, two bytes each
/// in the same order.
const SJIS_CHARS: &str = concat!(
    "　カナヶ一丁上丘二井住修健兵別北",
    "区千南口台号名和地城埼大女子宮山",
    "岡島川年幸広庫性悠患所斗日旭智月",
    "木本杉村東栄桜氏浩港熊玉理生田男",
    "町番目直県真石緑美者若菊菜葉藤西",
    "話輝遠郎郷野長陽電青静高",
);
const SJIS_CODES: &[u8; 184] = b"\
\x81\x40\x83\x4a\x83\x69\x83\x96\x88\xea\x92\x9a\x8f\xe3\x8b\x75\x93\xf1\x88\xe4\x8f\x5a\x8f\x43\x8c\x92\x95\xba\x95\xca\x96\x6b\
\x8b\xe6\x90\xe7\x93\xec\x8c\xfb\x91\xe4\x8d\x86\x96\xbc\x98\x61\x92\x6e\x8f\xe9\x8d\xe9\x91\xe5\x8f\x97\x8e\x71\x8b\x7b\x8e\x52\
\x89\xaa\x93\x87\x90\xec\x94\x4e\x8d\x4b\x8d\x4c\x8c\xc9\x90\xab\x97\x49\x8a\xb3\x8f\x8a\x93\x6c\x93\xfa\x88\xae\x92\x71\x8c\x8e\
\x96\xd8\x96\x7b\x90\x99\x91\xba\x93\x8c\x89\x68\x8d\xf7\x8e\x81\x8d\x5f\x8d\x60\x8c\x46\x8b\xca\x97\x9d\x90\xb6\x93\x63\x92\x6a\
\x92\xac\x94\xd4\x96\xda\x92\xbc\x8c\xa7\x90\x5e\x90\xce\x97\xce\x94\xfc\x8e\xd2\x8e\xe1\x8b\x65\x8d\xd8\x97\x74\x93\xa1\x90\xbc\
\x98\x62\x8b\x50\x89\x93\x98\x59\x8b\xbd\x96\xec\x92\xb7\x97\x7a\x93\x64\x90\xc2\x90\xc3\x8d\x82";

#[test]
fn the_same_seed_makes_the_same_export() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let shape = Corpus {
        size: 1 << 20,
        receipts: 600,
        custom_dump: false,
        seed: 7,
    };
    shape.write(a.path());
    shape.write(b.path());
    let made = listing(a.path(), Meta::Content);
    assert_eq!(made, listing(b.path(), Meta::Content));
    // Two folders of receipts, the dump, two CSVs and scans.
    assert!(made.contains_key("receipts/001/receipt_000599.txt"), "{made:?}");
    assert!(made.contains_key("orca_dump.sql") && made.contains_key("csv/患者一覧.csv"));
    assert!(made.keys().any(|k| k.starts_with("scans/scan_")));
    let other = Corpus { seed: 8, ..shape };
    let c = tempfile::tempdir().unwrap();
    other.write(c.path());
    assert_ne!(made, listing(c.path(), Meta::Content));
}

#[test]
fn the_csvs_are_shift_jis_and_utf8_with_crlf() {
    let dir = tempfile::tempdir().unwrap();
    Corpus::small(3).write(dir.path());
    let sjis = fs::read(dir.path().join("csv/患者一覧.csv")).unwrap();
    assert!(std::str::from_utf8(&sjis).is_err(), "the list is not UTF-8");
    // 患者番号 in Shift_JIS, and the half-width katakana of a kana name.
    assert!(sjis.starts_with(&[0x8a, 0xb3, 0x8e, 0xd2, 0x94, 0xd4, 0x8d, 0x86, b',']));
    assert!(sjis.iter().any(|b| (0xa1..=0xdf).contains(b)));
    assert!(sjis.ends_with(b"\r\n"));
    let utf8 = fs::read_to_string(dir.path().join("csv/visits_utf8.csv")).unwrap();
    assert!(utf8.contains("科") && utf8.ends_with("\r\n"));
    let dump = fs::read_to_string(dir.path().join("orca_dump.sql")).unwrap();
    assert!(dump.contains("DUMMY DATA") && dump.lines().count() > 100);
    assert_eq!(names_in(&dir.path().join("scans")), Vec::<String>::new());
}

#[test]
fn the_shift_jis_table_holds_double_byte_codes_once_each() {
    let mut codes: Vec<&[u8]> = SJIS_CODES.chunks(2).collect();
    assert_eq!(codes.len(), SJIS_CHARS.chars().count());
    for code in &codes {
        let (lead, trail) = (code[0], code[1]);
        assert!(matches!(lead, 0x81..=0x9f | 0xe0..=0xef), "{lead:#x}");
        assert!(matches!(trail, 0x40..=0x7e | 0x80..=0xfc), "{trail:#x}");
    }
    let n = codes.len();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), n);
}

#[test]
fn a_large_export_is_mostly_incompressible() {
    let dir = tempfile::tempdir().unwrap();
    let shape = Corpus {
        receipts: 10,
        ..Corpus::large(4)
    };
    shape.write(dir.path());
    let dump = fs::read(dir.path().join("orca.dump")).unwrap();
    assert!(dump.starts_with(b"PGDMP"));
    let total: u64 = listing(dir.path(), Meta::Content)
        .keys()
        .filter_map(|k| fs::metadata(dir.path().join(k)).ok().filter(|m| m.is_file()))
        .map(|m| m.len())
        .sum();
    assert!(total > 3 << 20 && total < 5 << 20, "{total}");
    let packed = zstd::encode_all(&dump[..], 3).unwrap();
    assert!(packed.len() as f64 > dump.len() as f64 * 0.99);
}
