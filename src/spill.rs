//! The near-duplicate barrier's files in a work folder: what a signed share leaves on disk so
//! that the corpus-wide steps never hold the corpus in memory.
//!
//! Per share `t`, in `sign/`: `t.facts.json` (per document: id, source, priority rank, text
//! length), `t.items.bin` (the item columns of both levels, little-endian), `t.keys0.bin` (the
//! document band keys, band-major: band `b` of every item is one contiguous read) and `t.text`
//! (the documents' texts, read back by byte range when a candidate pair is verified). The
//! paragraph keys are computed by the finish task after the document level settles and go to
//! `t.keys1.bin`. Every file is written under a temporary name and renamed.
//!
//! Reads are positioned (`pread`), so the verification threads share one handle per file and
//! the operating system's page cache, not our heap, holds what is hot.

use std::borrow::Cow;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::stages::dedup::{Bulk, DocFacts, ItemTable, Level, Signed, SignedMeta};

fn name(dir: &Path, task: usize, suffix: &str) -> PathBuf {
    dir.join(format!("{task:05}.{suffix}"))
}

fn annotate(path: &Path) -> impl FnOnce(io::Error) -> io::Error + '_ {
    move |e| io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Writes `fill`'s bytes to `path` under a temporary name, then renames: every file of a work
/// folder is written so. The temporary name is this process's own, so two tasks writing the
/// same file at once (two clean tasks merging the line statistics) cannot interleave bytes.
pub fn write_file(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(annotate(dir))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&tmp).map_err(annotate(&tmp))?);
    fill(&mut w).map_err(annotate(&tmp))?;
    w.flush().map_err(annotate(&tmp))?;
    drop(w);
    fs::rename(&tmp, path).map_err(annotate(path))
}

/// The fixed-width integers of the columns, written little-endian whatever the machine.
trait Le: Copy {
    const WIDTH: usize;
    fn put(self, out: &mut Vec<u8>);
    fn get(bytes: &[u8]) -> Self;
}

impl Le for u32 {
    const WIDTH: usize = 4;
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn get(bytes: &[u8]) -> Self {
        u32::from_le_bytes(bytes.try_into().expect("4 bytes"))
    }
}

impl Le for u64 {
    const WIDTH: usize = 8;
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn get(bytes: &[u8]) -> Self {
        u64::from_le_bytes(bytes.try_into().expect("8 bytes"))
    }
}

/// A column: its length as a `u64`, then its values.
fn put_column<T: Le>(w: &mut dyn Write, values: &[T]) -> io::Result<()> {
    w.write_all(&(values.len() as u64).to_le_bytes())?;
    let mut bytes = Vec::with_capacity(8192 * T::WIDTH);
    for chunk in values.chunks(8192) {
        bytes.clear();
        chunk.iter().for_each(|v| v.put(&mut bytes));
        w.write_all(&bytes)?;
    }
    Ok(())
}

fn get_column<T: Le>(r: &mut dyn Read) -> io::Result<Vec<T>> {
    let mut len = [0u8; 8];
    r.read_exact(&mut len)?;
    let n = usize::try_from(u64::from_le_bytes(len))
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "column too long"))?;
    let mut bytes = Vec::new();
    // `take` bounds the allocation by what the file really holds.
    r.take((n * T::WIDTH) as u64).read_to_end(&mut bytes)?;
    if bytes.len() != n * T::WIDTH {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "column cut short",
        ));
    }
    Ok(bytes.chunks_exact(T::WIDTH).map(T::get).collect())
}

fn put_table(w: &mut dyn Write, t: &ItemTable) -> io::Result<()> {
    put_column(w, &t.doc)?;
    put_column(w, &t.paragraph)?;
    put_column(w, &t.start)?;
    put_column(w, &t.len)?;
    put_column(w, &t.whole)?;
    let live: Vec<u32> = t.live.iter().map(|&l| u32::from(l)).collect();
    put_column(w, &live)?;
    put_column(w, &t.hash)
}

fn get_table(r: &mut dyn Read) -> io::Result<ItemTable> {
    let t = ItemTable {
        doc: get_column(r)?,
        paragraph: get_column(r)?,
        start: get_column(r)?,
        len: get_column(r)?,
        whole: get_column(r)?,
        live: get_column::<u32>(r)?.into_iter().map(|l| l != 0).collect(),
        hash: get_column(r)?,
    };
    let n = t.doc.len();
    if [
        t.paragraph.len(),
        t.start.len(),
        t.len.len(),
        t.whole.len(),
        t.live.len(),
    ]
    .iter()
    .any(|&m| m != n)
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "item columns of different lengths",
        ));
    }
    Ok(t)
}

/// Writes signed share `task` into `dir`; the facts file last, so its presence means the
/// others are complete. The paragraph keys are written when `paragraph_keys` (an index share,
/// signed completely), else the finish task computes them.
pub fn write_signed(
    dir: &Path,
    task: usize,
    signed: &Signed,
    paragraph_keys: bool,
) -> io::Result<()> {
    fs::create_dir_all(dir).map_err(annotate(dir))?;
    write_file(&name(dir, task, "text"), |w| {
        signed
            .bulk
            .text
            .pieces()
            .try_for_each(|p| w.write_all(p.as_bytes()))
    })?;
    write_file(&name(dir, task, "keys0.bin"), |w| {
        put_column(w, &signed.bulk.keys[0])
    })?;
    if paragraph_keys {
        write_file(&name(dir, task, "keys1.bin"), |w| {
            put_column(w, &signed.bulk.keys[1])
        })?;
    }
    write_file(&name(dir, task, "items.bin"), |w| {
        put_table(w, &signed.meta.levels[0])?;
        put_table(w, &signed.meta.levels[1])
    })?;
    write_file(&name(dir, task, "facts.json"), |w| {
        serde_json::to_writer(w, &signed.meta.docs).map_err(io::Error::from)
    })
}

/// Reads a whole signed share back into memory (an index share for an in-memory run).
pub fn read_signed(dir: &Path, task: usize) -> io::Result<Signed> {
    let meta = read_meta(dir, task)?;
    let text_path = name(dir, task, "text");
    let text = String::from_utf8(fs::read(&text_path).map_err(annotate(&text_path))?)
        .map_err(|e| annotate(&text_path)(io::Error::new(io::ErrorKind::InvalidData, e)))?;
    let mut keys: [Vec<u64>; 2] = Default::default();
    for (level, k) in keys.iter_mut().enumerate() {
        let path = name(dir, task, &format!("keys{level}.bin"));
        let mut r = BufReader::new(File::open(&path).map_err(annotate(&path))?);
        *k = get_column(&mut r).map_err(annotate(&path))?;
    }
    Ok(Signed {
        meta,
        bulk: crate::stages::dedup::SignedBulk {
            keys,
            text: text.into(),
            done: [true, true],
            shingles: Default::default(),
        },
    })
}

/// The index an output folder keeps for later `--against` runs (`[output] index`): its signed
/// shares of kept text, all keys included, and what they were signed with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IndexMeta {
    /// Shares `00000` to `shares - 1`.
    pub shares: usize,
    /// Fingerprint of the `[dedup]` table the keys were computed with; another one would
    /// compare signatures that do not match.
    pub dedup: String,
}

/// Reads the index of output folder `out`.
pub fn read_index(out: &Path) -> io::Result<IndexMeta> {
    let path = out.join("index").join("index.json");
    let bytes = fs::read(&path).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "{}: {e} (was it written with `[output] index = true`?)",
                path.display()
            ),
        )
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| annotate(&path)(io::Error::new(io::ErrorKind::InvalidData, e)))
}

/// Writes `index.json` into the index folder being built.
pub fn write_index_meta(dir: &Path, meta: &IndexMeta) -> io::Result<()> {
    write_file(&dir.join("index.json"), |w| {
        serde_json::to_writer(w, meta).map_err(io::Error::from)
    })
}

/// Copies (hard-links where it can) the shares of an earlier index into the one being built,
/// as its first shares.
pub fn carry_index(from: &Path, to: &Path, shares: usize) -> io::Result<()> {
    fs::create_dir_all(to).map_err(annotate(to))?;
    for t in 0..shares {
        for suffix in ["text", "keys0.bin", "keys1.bin", "items.bin", "facts.json"] {
            let (a, b) = (name(from, t, suffix), name(to, t, suffix));
            let _ = fs::remove_file(&b);
            if fs::hard_link(&a, &b).is_err() {
                fs::copy(&a, &b).map_err(annotate(&a))?;
            }
        }
    }
    Ok(())
}

/// Reads the facts and item columns of signed share `task`.
pub fn read_meta(dir: &Path, task: usize) -> io::Result<SignedMeta> {
    let facts_path = name(dir, task, "facts.json");
    let bytes = fs::read(&facts_path).map_err(annotate(&facts_path))?;
    let docs: Vec<DocFacts> = serde_json::from_slice(&bytes)
        .map_err(|e| annotate(&facts_path)(io::Error::new(io::ErrorKind::InvalidData, e)))?;
    let items_path = name(dir, task, "items.bin");
    let mut r = BufReader::new(File::open(&items_path).map_err(annotate(&items_path))?);
    let levels = [
        get_table(&mut r).map_err(annotate(&items_path))?,
        get_table(&mut r).map_err(annotate(&items_path))?,
    ];
    Ok(SignedMeta { docs, levels })
}

/// The signed shares of a work folder, read in place.
#[derive(Debug)]
pub struct DiskBulk {
    sign: PathBuf,
    scratch: PathBuf,
    bands: usize,
    /// Per share: the text file, the key files of both levels (the paragraph one once
    /// stored), and the item counts of both levels.
    parts: Vec<(File, [Option<File>; 2], [usize; 2])>,
}

impl DiskBulk {
    /// Opens the signed shares at `shares` (folder and share number each); paragraph keys
    /// computed later go to `scratch`.
    pub fn open(
        shares: &[(PathBuf, usize)],
        scratch: &Path,
        metas: &[SignedMeta],
        bands: usize,
    ) -> io::Result<DiskBulk> {
        fs::create_dir_all(scratch).map_err(annotate(scratch))?;
        let mut parts = Vec::with_capacity(metas.len());
        for ((dir, t), meta) in shares.iter().zip(metas) {
            let text = name(dir, *t, "text");
            let keys = name(dir, *t, "keys0.bin");
            let para = name(dir, *t, "keys1.bin");
            parts.push((
                File::open(&text).map_err(annotate(&text))?,
                [
                    Some(File::open(&keys).map_err(annotate(&keys))?),
                    File::open(&para).ok(),
                ],
                [meta.levels[0].doc.len(), meta.levels[1].doc.len()],
            ));
        }
        Ok(DiskBulk {
            sign: scratch.to_path_buf(),
            scratch: scratch.to_path_buf(),
            bands,
            parts,
        })
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buf, offset)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

impl Bulk for DiskBulk {
    fn keys(&self, part: usize, level: Level, band: usize, out: &mut Vec<u64>) -> io::Result<()> {
        let (_, files, counts) = &self.parts[part];
        let n = counts[level as usize];
        let file = files[level as usize].as_ref().ok_or_else(|| {
            io::Error::other(format!("share {part}: paragraph keys read before stored"))
        })?;
        let mut bytes = vec![0u8; n * 8];
        // 8 bytes of column length first, then band-major keys.
        read_at(file, &mut bytes, 8 + (band * n * 8) as u64).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("{}: keys of share {part}: {e}", self.sign.display()),
            )
        })?;
        out.extend(
            bytes
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes"))),
        );
        Ok(())
    }

    fn text(&self, part: usize, start: u64, len: u32) -> io::Result<Cow<'_, str>> {
        let mut bytes = vec![0u8; len as usize];
        read_at(&self.parts[part].0, &mut bytes, start).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("{}: text of share {part}: {e}", self.sign.display()),
            )
        })?;
        String::from_utf8(bytes)
            .map(Cow::Owned)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    fn has_keys(&self, part: usize, level: Level) -> bool {
        self.parts[part].1[level as usize].is_some()
    }

    fn store_keys(&mut self, part: usize, level: Level, keys: Vec<u64>) -> io::Result<()> {
        let path = name(&self.scratch, part, &format!("keys{}.bin", level as usize));
        write_file(&path, |w| put_column(w, &keys))?;
        let n = keys.len().checked_div(self.bands).unwrap_or(0);
        let entry = &mut self.parts[part];
        entry.2[level as usize] = n;
        entry.1[level as usize] = Some(File::open(&path).map_err(annotate(&path))?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DedupConfig;
    use crate::doc::Doc;
    use crate::stages::dedup::{DedupStage, MemoryBulk};

    #[test]
    fn a_signed_share_reads_back_as_written() {
        let stage = DedupStage::build(&DedupConfig::default());
        let docs: Vec<Doc> = (0..5)
            .map(|i| Doc {
                id: format!("d{i}"),
                paragraphs: vec![
                    format!("The council met on day {i} and voted on the new budget for schools."),
                    "Short one.".into(),
                ],
                ..Doc::default()
            })
            .collect();
        let signed = stage.sign(&docs);
        let dir = tempfile::tempdir().unwrap();
        write_signed(dir.path(), 3, &signed, false).unwrap();
        let meta = read_meta(dir.path(), 3).unwrap();
        assert_eq!(meta.levels[0].whole, signed.meta.levels[0].whole);
        assert_eq!(meta.levels[1].start, signed.meta.levels[1].start);
        assert_eq!(meta.docs.len(), 5);

        // Shares 0..3 absent: open share 3 alone by writing it as share 0 too.
        write_signed(dir.path(), 0, &signed, false).unwrap();
        let disk = DiskBulk::open(
            &[(dir.path().to_path_buf(), 0)],
            &dir.path().join("scratch"),
            std::slice::from_ref(&meta),
            stage.bands(),
        )
        .unwrap();
        let memory = MemoryBulk {
            parts: vec![signed.bulk.clone()],
            bands: stage.bands(),
            shingle_size: stage.shingle_size(),
        };
        for band in [0, stage.bands() - 1] {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            disk.keys(0, Level::Document, band, &mut a).unwrap();
            memory.keys(0, Level::Document, band, &mut b).unwrap();
            assert_eq!(a, b);
        }
        let t = &meta.levels[1];
        assert_eq!(
            disk.text(0, t.start[2], t.len[2]).unwrap(),
            memory.text(0, t.start[2], t.len[2]).unwrap()
        );
    }

    #[test]
    fn a_damaged_column_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let stage = DedupStage::build(&DedupConfig::default());
        let signed = stage.sign(&[Doc::default()]);
        write_signed(dir.path(), 0, &signed, false).unwrap();
        let items = name(dir.path(), 0, "items.bin");
        let bytes = fs::read(&items).unwrap();
        fs::write(&items, &bytes[..bytes.len() - 3]).unwrap();
        assert!(read_meta(dir.path(), 0).is_err());
    }
}
