//! Any bytes as an outbox log file, and as frames after a good header:
//! reading them never panics; a record that decodes encodes back to itself; a file that reads as good frames reads the
//! same way through salvage (with at most its torn tail skipped, and zeros
//! after the frames taken as space written ahead); opening it
//! (the replay into the store's state) answers a state or a clear error; and
//! a good frame appended after a readable file is read back.

#![no_main]

use libfuzzer_sys::fuzz_target;
use webhook::outbox::log::{self, FrameBuilder, Record};

fuzz_target!(|data: &[u8]| {
    let with_header = [log::header().as_slice(), data].concat();
    for bytes in [data, with_header.as_slice()] {
        let _ = webhook::outbox::inspect(bytes);
        let (salvaged, skipped) = log::salvage(bytes);
        for frame in &salvaged {
            // A record that decodes encodes back to the same record (the
            // variables, read as an object and kept as text, included).
            for (_, _, record) in log::records(frame).unwrap_or_default() {
                let text = serde_json::to_vec(&record).expect("a decoded record encodes");
                let again = log::decode(&text).expect("an encoded record decodes");
                assert_eq!(again, record, "a record changed on its way back");
            }
        }
        if log::check_header(bytes).is_err() {
            continue;
        }
        let Ok(scanned) = log::scan(bytes) else {
            // Damage: salvage skipped something before a good frame.
            assert!(!skipped.is_empty(), "damage that salvage does not see");
            continue;
        };
        assert_eq!(salvaged, scanned.frames, "salvage reads a good file differently");
        assert_eq!(skipped.len(), usize::from(scanned.torn.is_some()));
        match scanned.torn {
            Some(torn) => assert_eq!(scanned.end + torn, bytes.len() as u64),
            // Only zeros (space written ahead) may follow the frames.
            None => assert!(bytes[scanned.end as usize..].iter().all(|&b| b == 0)),
        }

        // Cut the torn tail off as the store does, and append a frame.
        let mut grown = bytes[..scanned.end as usize].to_vec();
        let mut frame = FrameBuilder::default();
        frame
            .push(&Record::NextId { next_id: 7 })
            .expect("a record encodes");
        grown.extend_from_slice(frame.finish());
        let again = log::scan(&grown).expect("a good frame after good frames");
        assert_eq!(again.torn, None);
        let last = again.frames.last().expect("the appended frame");
        let records = log::records(last).expect("its records decode");
        assert!(matches!(records[..], [(_, _, Record::NextId { next_id: 7 })]));
    }
});
