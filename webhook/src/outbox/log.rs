//! The outbox file format: an append-only log of checksummed frames.
//!
//! ```text
//! file   := header frame*
//! header := "WHOUTBOX" version:u32 0:u32                  (16 bytes)
//! frame  := "OBXF" length:u32 crc32:u32 payload[length]   (one per group commit)
//! payload:= (length:u32 json[length])*                     (the records)
//! ```
//!
//! Integers are little-endian; the CRC-32 covers the payload. One frame is
//! written per group commit and made durable with one `fdatasync`, so a frame
//! is the unit that survives a crash whole or not at all:
//!
//! - a frame cut short or failing its checksum at the **end** of the file,
//!   with nothing readable after it, is a write the power cut interrupted;
//!   nothing in it was acknowledged (answers go out after the sync), so
//!   [`scan`] reports it as a torn tail for the store to cut off;
//! - a bad frame **followed by a good one** cannot come from a crash (every
//!   frame is synced before the next is written): it is damage to data that
//!   was acknowledged, and [`scan`] refuses the file. [`salvage`] reads past
//!   it for the operator.
//!
//! The records ([`Record`]) are JSON, so what is stored can be read back by
//! hand.

use serde::{Deserialize, Serialize};

use super::store::entries::{Entry, EntryState};

/// The first 8 bytes of every outbox file.
pub const FILE_MAGIC: [u8; 8] = *b"WHOUTBOX";
/// The format version this build writes and reads.
pub const VERSION: u32 = 1;
/// The header's length; the first frame starts here.
pub const HEADER_LEN: u64 = 16;
/// The first 4 bytes of every frame.
const FRAME_MAGIC: [u8; 4] = *b"OBXF";
/// Magic, length, checksum.
pub const FRAME_HEADER_LEN: usize = 12;
/// The largest payload a frame may claim; a longer claim is damage.
pub const MAX_FRAME_LEN: usize = 1 << 30;

/// A deduplication key as stored: the first 16 bytes of its SHA-256, and
/// when it expires (Unix ms).
pub type Key = (u128, u64);

/// One change to the outbox. Replaying every record of a log, in order,
/// rebuilds the store's state ([`super::store`] does it on open and after
/// every commit, with the same code).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "r", rename_all = "camelCase")]
#[expect(
    clippy::large_enum_variant,
    reason = "records live for one commit; boxing the event would cost an allocation per accepted event"
)]
pub enum Record {
    /// An accepted event (or, written by compaction, a kept one) in `state`,
    /// with the deduplication keys it claimed.
    Event {
        /// The event.
        entry: Entry,
        /// Where it is.
        state: EntryState,
        /// Keys claimed with it.
        #[serde(with = "hex_keys")]
        keys: Vec<Key>,
    },
    /// Deduplication keys claimed without an event (synchronous dispatch,
    /// and compaction carrying live keys over).
    Keys {
        /// The keys.
        #[serde(with = "hex_keys")]
        keys: Vec<Key>,
    },
    /// Deduplication keys forgotten.
    Release {
        /// Their digests.
        #[serde(with = "hex_digests")]
        keys: Vec<u128>,
    },
    /// A delivery attempt's outcome, or an operator's retry.
    #[serde(rename_all = "camelCase")]
    Settle {
        /// The entry.
        id: u64,
        /// Where it goes.
        state: EntryState,
        /// Attempts so far.
        attempts: u32,
        /// Not before this time (Unix ms).
        next_attempt_ms: u64,
        /// The last failure.
        last_error: Option<String>,
        /// When it was delivered or declared dead.
        finished_ms: Option<u64>,
    },
    /// Entries purged.
    Forget {
        /// Their ids.
        ids: Vec<u64>,
    },
    /// The next entry id (compaction keeps ids growing).
    #[serde(rename_all = "camelCase")]
    NextId {
        /// The id the next event gets.
        next_id: u64,
    },
}

/// Digests as 32 hex digits (JSON numbers stop at 64 bits, and serde's
/// internally tagged enums take no 128-bit integers).
mod hex_digests {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// One digest, written without an allocation (a commit writes one or
    /// two per accepted event).
    pub struct Hex(pub u128);

    impl Serialize for Hex {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            const DIGITS: &[u8; 16] = b"0123456789abcdef";
            let mut text = [0u8; 32];
            for (i, digit) in text.iter_mut().enumerate() {
                *digit = DIGITS[(self.0 >> (124 - 4 * i)) as usize & 0xf];
            }
            s.serialize_str(std::str::from_utf8(&text).map_err(serde::ser::Error::custom)?)
        }
    }

    pub fn serialize<S: Serializer>(keys: &[u128], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(keys.iter().map(|&k| Hex(k)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u128>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|k| parse(k))
            .collect()
    }

    pub fn parse<E: serde::de::Error>(hex: &str) -> Result<u128, E> {
        if hex.len() != 32 {
            return Err(E::custom(format!("a key digest of {} digits", hex.len())));
        }
        u128::from_str_radix(hex, 16).map_err(E::custom)
    }
}

/// Keys as `[digest, expiry]` pairs, the digest as in [`hex_digests`].
mod hex_keys {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Key;

    pub fn serialize<S: Serializer>(keys: &[Key], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(keys.iter().map(|&(k, e)| (super::hex_digests::Hex(k), e)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Key>, D::Error> {
        Vec::<(String, u64)>::deserialize(d)?
            .iter()
            .map(|(k, e)| Ok((super::hex_digests::parse(k)?, *e)))
            .collect()
    }
}

/// The 16-byte header of a new file.
pub fn header() -> [u8; HEADER_LEN as usize] {
    let mut header = [0; HEADER_LEN as usize];
    header[..8].copy_from_slice(&FILE_MAGIC);
    header[8..12].copy_from_slice(&VERSION.to_le_bytes());
    header
}

/// What is wrong with a file that is not an outbox this build can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// 0 bytes: never written by the service (it writes the header into a
    /// temporary file and renames it into place).
    #[error(
        "the file is empty (0 bytes); the service never leaves an empty outbox, so this is not one"
    )]
    Empty,
    /// Something else.
    #[error("the file does not start with an outbox header ({0}); it is not an outbox log")]
    Foreign(String),
    /// A later format.
    #[error("the file is an outbox log of format version {0}; this build reads version {VERSION}")]
    Version(u32),
}

/// Checks the header of `bytes` (the whole file).
pub fn check_header(bytes: &[u8]) -> Result<(), HeaderError> {
    if bytes.is_empty() {
        return Err(HeaderError::Empty);
    }
    if bytes.len() < HEADER_LEN as usize || bytes[..8] != FILE_MAGIC {
        let shown: String = bytes
            .iter()
            .take(8)
            .map(|&b| match b {
                b' '..=b'~' => char::from(b),
                _ => '.',
            })
            .collect();
        let what = if bytes.starts_with(b"redb") {
            format!("it starts with `{shown}`: a redb database, the outbox format before version 1")
        } else {
            format!("{} bytes starting with `{shown}`", bytes.len())
        };
        return Err(HeaderError::Foreign(what));
    }
    let mut version = [0; 4];
    version.copy_from_slice(&bytes[8..12]);
    match u32::from_le_bytes(version) {
        VERSION => Ok(()),
        other => Err(HeaderError::Version(other)),
    }
}

/// Builds one frame: records are appended, then [`FrameBuilder::finish`]
/// fills in the header.
#[derive(Debug)]
pub struct FrameBuilder {
    buf: Vec<u8>,
    records: usize,
}

impl Default for FrameBuilder {
    fn default() -> Self {
        FrameBuilder {
            buf: vec![0; FRAME_HEADER_LEN],
            records: 0,
        }
    }
}

impl FrameBuilder {
    /// A builder writing into `buf` (cleared), so a caller that builds
    /// frame after frame reuses one allocation ([`FrameBuilder::into_buffer`]).
    pub fn reuse(mut buf: Vec<u8>) -> FrameBuilder {
        buf.clear();
        buf.resize(FRAME_HEADER_LEN, 0);
        FrameBuilder { buf, records: 0 }
    }

    /// The buffer, for [`FrameBuilder::reuse`].
    pub fn into_buffer(self) -> Vec<u8> {
        self.buf
    }

    /// Appends `record`; returns where its JSON starts within the frame and
    /// its length (a stored event is read back from there).
    pub fn push(&mut self, record: &Record) -> Result<(usize, usize), serde_json::Error> {
        let at = self.buf.len();
        self.buf.extend_from_slice(&[0; 4]);
        if let Err(e) = serde_json::to_writer(&mut self.buf, record) {
            self.buf.truncate(at);
            return Err(e);
        }
        let len = self.buf.len() - at - 4;
        let Ok(len32) = u32::try_from(len) else {
            self.buf.truncate(at);
            return Err(serde::ser::Error::custom("a record over 4 GiB"));
        };
        self.buf[at..at + 4].copy_from_slice(&len32.to_le_bytes());
        self.records += 1;
        Ok((at + 4, len))
    }

    /// How many records so far.
    pub fn records(&self) -> usize {
        self.records
    }

    /// The frame's bytes so far (header included).
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether no record was pushed.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// The finished frame, ready to append.
    pub fn finish(&mut self) -> &[u8] {
        let payload_len = self.buf.len() - FRAME_HEADER_LEN;
        let len = u32::try_from(payload_len).unwrap_or(u32::MAX);
        let crc = crc32fast::hash(&self.buf[FRAME_HEADER_LEN..]);
        self.buf[..4].copy_from_slice(&FRAME_MAGIC);
        self.buf[4..8].copy_from_slice(&len.to_le_bytes());
        self.buf[8..12].copy_from_slice(&crc.to_le_bytes());
        &self.buf
    }
}

/// One good frame of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Where the frame starts in the file.
    pub offset: u64,
    /// Its payload (the records).
    pub payload: &'a [u8],
}

impl Frame<'_> {
    /// Where the payload starts in the file.
    pub fn payload_offset(&self) -> u64 {
        self.offset + FRAME_HEADER_LEN as u64
    }

    /// The frame's length in the file.
    pub fn len(&self) -> u64 {
        (FRAME_HEADER_LEN + self.payload.len()) as u64
    }

    /// Whether the frame holds no record (a probe after a failed commit).
    pub fn is_empty(&self) -> bool {
        self.payload.is_empty()
    }
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let slice = bytes.get(at..at.checked_add(4)?)?;
    let mut word = [0; 4];
    word.copy_from_slice(slice);
    Some(u32::from_le_bytes(word))
}

/// The frame starting at `at` in `bytes`, or why there is none.
fn frame_at(bytes: &[u8], at: usize) -> Result<Frame<'_>, &'static str> {
    let rest = &bytes[at.min(bytes.len())..];
    if rest.len() < FRAME_HEADER_LEN {
        return Err("a frame header cut short");
    }
    if rest[..4] != FRAME_MAGIC {
        return Err("no frame marker");
    }
    let len = u32_at(rest, 4).ok_or("a frame header cut short")? as usize;
    if len > MAX_FRAME_LEN {
        return Err("an impossible frame length");
    }
    let Some(payload) = rest.get(FRAME_HEADER_LEN..FRAME_HEADER_LEN + len) else {
        return Err("a frame cut short");
    };
    let crc = u32_at(rest, 8).ok_or("a frame header cut short")?;
    if crc32fast::hash(payload) != crc {
        return Err("a frame whose checksum does not match");
    }
    Ok(Frame {
        offset: at as u64,
        payload,
    })
}

/// The first good frame at or after `from`, if any.
fn next_good_frame(bytes: &[u8], from: usize) -> Option<Frame<'_>> {
    let mut at = from;
    while at < bytes.len() {
        let found = memchr::memmem::find(&bytes[at..], &FRAME_MAGIC)?;
        if let Ok(frame) = frame_at(bytes, at + found) {
            return Some(frame);
        }
        at += found + 1;
    }
    None
}

/// Whether `rest` is all zeros: space written ahead of the frames (see
/// the store's preallocation), not a torn write.
fn is_padding(rest: &[u8]) -> bool {
    rest.iter().all(|&b| b == 0)
}

/// A good file, frame by frame.
#[derive(Debug)]
pub struct Scanned<'a> {
    /// Its good frames, in order.
    pub frames: Vec<Frame<'a>>,
    /// Where the good frames end: the file's length once a torn tail (or
    /// the zeros written ahead) is cut.
    pub end: u64,
    /// The length of a torn tail after `end` (an interrupted last write);
    /// `None` when only zeros follow the frames.
    pub torn: Option<u64>,
}

/// Damage in the middle of a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} at byte {offset}, followed by good data at byte {next_good}")]
pub struct Damage {
    /// Where the bad frame starts.
    pub offset: u64,
    /// What is wrong there.
    pub what: &'static str,
    /// Where the next good frame starts.
    pub next_good: u64,
}

/// Reads every frame of `bytes` (the whole file, header checked already).
/// Zeros after the frames are space written ahead; a bad frame with nothing
/// good after it is a torn tail; one followed by a good frame is [`Damage`].
pub fn scan(bytes: &[u8]) -> Result<Scanned<'_>, Damage> {
    let mut frames = Vec::new();
    let mut at = HEADER_LEN as usize;
    while at < bytes.len() {
        match frame_at(bytes, at) {
            Ok(frame) => {
                at += frame.len() as usize;
                frames.push(frame);
            }
            Err(what) => {
                if is_padding(&bytes[at..]) {
                    // Space the store wrote ahead (zeros), not yet used.
                    break;
                }
                if let Some(good) = next_good_frame(bytes, at + 1) {
                    return Err(Damage {
                        offset: at as u64,
                        what,
                        next_good: good.offset,
                    });
                }
                return Ok(Scanned {
                    frames,
                    end: at as u64,
                    torn: Some((bytes.len() - at) as u64),
                });
            }
        }
    }
    Ok(Scanned {
        frames,
        end: at as u64,
        torn: None,
    })
}

/// What [`salvage`] could not read: `(offset, length)` of each skipped run.
pub type Skipped = Vec<(u64, u64)>;

/// Every good frame of `bytes` (header not required), skipping damage.
pub fn salvage(bytes: &[u8]) -> (Vec<Frame<'_>>, Skipped) {
    let mut frames = Vec::new();
    let mut skipped = Vec::new();
    let mut at = if check_header(bytes).is_ok() {
        HEADER_LEN as usize
    } else {
        0
    };
    while at < bytes.len() {
        match frame_at(bytes, at) {
            Ok(frame) => {
                at += frame.len() as usize;
                frames.push(frame);
            }
            Err(_) => {
                if is_padding(&bytes[at..]) {
                    break;
                }
                let next = next_good_frame(bytes, at + 1);
                let resume = next.map_or(bytes.len(), |f| f.offset as usize);
                skipped.push((at as u64, (resume - at) as u64));
                at = resume;
            }
        }
    }
    (frames, skipped)
}

/// The records of a good frame: where each one's JSON starts in the file,
/// and the record. A record that does not decode in a frame whose checksum
/// matched was written by another build (or a bug): an error naming where.
pub fn records(frame: &Frame<'_>) -> Result<Vec<(u64, usize, Record)>, String> {
    let mut out = Vec::new();
    let mut at = 0;
    let payload = frame.payload;
    while at < payload.len() {
        let len = u32_at(payload, at).ok_or_else(|| {
            format!(
                "a record length cut short at byte {}",
                frame.payload_offset() + at as u64
            )
        })? as usize;
        let start = at + 4;
        let json = payload.get(start..start + len).ok_or_else(|| {
            format!(
                "a record longer than its frame at byte {}",
                frame.payload_offset() + at as u64
            )
        })?;
        let record = decode(json).map_err(|e| {
            format!(
                "a record that does not decode at byte {}: {e}",
                frame.payload_offset() + at as u64
            )
        })?;
        out.push((frame.payload_offset() + start as u64, len, record));
        at = start + len;
    }
    Ok(out)
}

/// One record from its JSON.
pub fn decode(json: &[u8]) -> Result<Record, serde_json::Error> {
    serde_json::from_slice(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(frames: &[Vec<Record>]) -> Vec<u8> {
        let mut bytes = header().to_vec();
        for records in frames {
            let mut frame = FrameBuilder::default();
            for record in records {
                frame.push(record).unwrap();
            }
            bytes.extend_from_slice(frame.finish());
        }
        bytes
    }

    fn next(n: u64) -> Record {
        Record::NextId { next_id: n }
    }

    fn ids(scanned: &Scanned<'_>) -> Vec<u64> {
        scanned
            .frames
            .iter()
            .flat_map(|f| records(f).unwrap())
            .map(|(_, _, r)| match r {
                Record::NextId { next_id } => next_id,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn digests_are_32_hex_digits_and_read_back() {
        let digests = [0, 1, 0xabc << 100, u128::MAX];
        let keys = Record::Keys {
            keys: digests.iter().map(|&d| (d, 7)).collect(),
        };
        let text = serde_json::to_string(&keys).unwrap();
        let pairs: Vec<String> = digests
            .iter()
            .map(|d| format!(r#"["{d:032x}",7]"#))
            .collect();
        assert_eq!(
            text,
            format!(r#"{{"r":"keys","keys":[{}]}}"#, pairs.join(","))
        );
        assert!(text.contains(r#"["0000abc0000000000000000000000000",7]"#));
        assert_eq!(decode(text.as_bytes()).unwrap(), keys);
        let release = Record::Release {
            keys: digests.to_vec(),
        };
        let text = serde_json::to_string(&release).unwrap();
        assert_eq!(decode(text.as_bytes()).unwrap(), release);
    }

    #[test]
    fn a_file_reads_back_frame_by_frame() {
        let bytes = file(&[vec![next(1), next(2)], vec![], vec![next(3)]]);
        let scanned = scan(&bytes).unwrap();
        assert_eq!(scanned.frames.len(), 3);
        assert_eq!(ids(&scanned), [1, 2, 3]);
        assert_eq!((scanned.end, scanned.torn), (bytes.len() as u64, None));
        // Each record's position points at its JSON.
        let (at, len, _) = records(&scanned.frames[0]).unwrap()[1].clone();
        assert_eq!(
            decode(&bytes[at as usize..at as usize + len]).unwrap(),
            next(2)
        );
    }

    #[test]
    fn a_cut_anywhere_in_the_last_frame_is_a_torn_tail() {
        let bytes = file(&[vec![next(1)], vec![next(2), next(3)]]);
        let first_end = {
            let scanned = scan(&bytes).unwrap();
            scanned.frames[1].offset as usize
        };
        for cut in first_end..bytes.len() {
            let scanned = scan(&bytes[..cut]).unwrap();
            assert_eq!(ids(&scanned), [1], "cut at {cut}");
            assert_eq!(scanned.end, first_end as u64);
            let torn = (cut > first_end).then(|| (cut - first_end) as u64);
            assert_eq!(scanned.torn, torn, "cut at {cut}");
        }
    }

    #[test]
    fn zeros_after_the_frames_are_space_written_ahead_not_a_torn_tail() {
        let mut bytes = file(&[vec![next(1)]]);
        let end = bytes.len() as u64;
        bytes.resize(4096, 0);
        let scanned = scan(&bytes).unwrap();
        assert_eq!(
            (ids(&scanned), scanned.end, scanned.torn),
            (vec![1], end, None)
        );
        assert_eq!(salvage(&bytes).1, []);
        // A frame torn while it was written into that space is torn.
        let torn = file(&[vec![next(2)]])[HEADER_LEN as usize..].to_vec();
        bytes[end as usize..end as usize + 10].copy_from_slice(&torn[..10]);
        let scanned = scan(&bytes).unwrap();
        assert_eq!((scanned.end, scanned.torn), (end, Some(4096 - end)));
    }

    #[test]
    fn a_flipped_bit_in_an_earlier_frame_is_damage_never_a_panic() {
        let bytes = file(&[vec![next(1)], vec![next(2)], vec![next(3)]]);
        let scanned = scan(&bytes).unwrap();
        let (start, end) = (
            scanned.frames[1].offset as usize,
            scanned.frames[2].offset as usize,
        );
        for at in start..end {
            for bit in 0..8 {
                let mut bad = bytes.clone();
                bad[at] ^= 1 << bit;
                let damage = scan(&bad).unwrap_err();
                assert_eq!(damage.offset, start as u64, "byte {at} bit {bit}");
                assert_eq!(damage.next_good, end as u64);
                // Salvage keeps the frames around the damage.
                let (frames, skipped) = salvage(&bad);
                assert_eq!(frames.len(), 2);
                assert_eq!(skipped, [(start as u64, (end - start) as u64)]);
            }
        }
    }

    #[test]
    fn headers_tell_empty_foreign_and_newer_files_apart() {
        assert_eq!(check_header(b""), Err(HeaderError::Empty));
        assert!(
            matches!(check_header(b"hello"), Err(HeaderError::Foreign(m)) if m.contains("`hello`"))
        );
        assert!(
            matches!(check_header(b"redb\x1a\x0a\xa9\x0d\x00\x00\x00\x00\x00\x00\x00\x00"), Err(HeaderError::Foreign(m)) if m.contains("redb database"))
        );
        let mut newer = header();
        newer[8] = 2;
        assert_eq!(check_header(&newer), Err(HeaderError::Version(2)));
        assert_eq!(check_header(&header()), Ok(()));
    }

    #[test]
    fn garbage_never_panics() {
        // A few shapes of nonsense after a good header.
        let mut bytes = header().to_vec();
        bytes.extend_from_slice(b"OBXF\xff\xff\xff\xffxxxx");
        assert_eq!(scan(&bytes).unwrap().torn, Some(12));
        let mut bytes = header().to_vec();
        bytes.extend_from_slice(b"OBXF\x04\x00\x00\x00");
        assert_eq!(scan(&bytes).unwrap().torn, Some(8));
        // A frame whose checksum matches but whose records don't decode.
        let payload = b"\x02\x00\x00\x00{}";
        let mut bytes = header().to_vec();
        bytes.extend_from_slice(b"OBXF");
        bytes.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        bytes.extend_from_slice(payload);
        let scanned = scan(&bytes).unwrap();
        assert!(records(&scanned.frames[0])
            .unwrap_err()
            .contains("does not decode at byte 28"));
    }
}
