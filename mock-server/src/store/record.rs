//! The records of the state log: one line each, `{"kind": ..., "value": ...}`,
//! a stored thing as it is now, or gone. Each aggregate defines its own
//! records (`accounts::Record`, `mail::Record`, ...), writes them from its
//! write path and replays them; this file only puts them side by side, with
//! the two records of the log itself (its format and the id counters).
//!
//! A line is read by its `kind`: each aggregate's records are tried in turn,
//! the first that knows the kind reads the value (users, by far the most
//! numerous, first), so no list of kinds is written twice; the owner of each
//! kind is remembered, so later lines of that kind go straight to it.

use std::borrow::Cow;

use serde::de::{DeserializeSeed, Error as _, IgnoredAny, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::snapshot::{FORMAT, Snapshot};
use super::{accounts, mail, outbox, partners};

/// The id counters: ids are never reused, even of things forgotten.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Counters {
    pub user: u64,
    pub email: u64,
    pub attachment: u64,
    pub letter: u64,
    pub charge: u64,
    pub delivery: u64,
    /// Seconds the business clock is ahead of real time.
    #[serde(default)]
    pub clock: i64,
}

/// The records of the log itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Meta {
    /// The first record of a log: the format of the state it holds.
    Format(u32),
    /// The id counters and the clock, after every batch of changes.
    Counters(Counters),
}

/// One line of the state log.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
#[allow(missing_docs)]
pub enum Record {
    Meta(Meta),
    Accounts(accounts::Record),
    Partners(partners::Record),
    Outbox(outbox::Record),
    Mail(mail::Record),
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(reader: D) -> Result<Self, D::Error> {
        reader.deserialize_map(RecordVisitor)
    }
}

struct RecordVisitor;

impl<'de> Visitor<'de> for RecordVisitor {
    type Value = Record;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a record: {\"kind\": ..., \"value\": ...}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
        match map.next_key::<Text<'de>>()? {
            Some(key) if key.0 == "kind" => {}
            _ => return Err(A::Error::custom("a record names its kind first")),
        }
        let kind: Text<'de> = map.next_value()?;
        let kind = kind.0.as_ref();
        let known =
            OWNERS.with_borrow(|owners| owners.iter().find(|(name, _)| **name == *kind).map(|(_, owner)| *owner));
        let record = match known {
            Some(owner) => owner.read(kind, &mut map)?,
            None => {
                let mut found = None;
                for owner in Owner::IN_TURN {
                    if let Some(record) = owner.read(kind, &mut map)? {
                        OWNERS.with_borrow_mut(|owners| owners.push((kind.into(), owner)));
                        found = Some(record);
                        break;
                    }
                }
                found
            }
        };
        let Some(record) = record else {
            return Err(A::Error::custom(format_args!("unknown record kind `{kind}`")));
        };
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value::<IgnoredAny>()?;
        }
        Ok(record)
    }
}

/// The aggregate whose records hold a kind.
#[derive(Debug, Clone, Copy)]
enum Owner {
    Accounts,
    Mail,
    Outbox,
    Partners,
    Meta,
}

thread_local! {
    /// Each kind's owner, learnt the first time a thread reads it: trying each
    /// aggregate in turn costs an error for each that does not know the kind.
    static OWNERS: std::cell::RefCell<Vec<(Box<str>, Owner)>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Owner {
    /// The order a kind not yet learnt is tried in (users, by far the most numerous, first).
    const IN_TURN: [Owner; 5] = [Owner::Accounts, Owner::Mail, Owner::Outbox, Owner::Partners, Owner::Meta];

    /// The rest of the line as this aggregate's record of `kind`; `None`,
    /// the line untouched, when it has no such kind.
    fn read<'de, A: MapAccess<'de>>(self, kind: &str, map: &mut A) -> Result<Option<Record>, A::Error> {
        Ok(match self {
            Owner::Accounts => read_as(kind, map)?.map(Record::Accounts),
            Owner::Mail => read_as(kind, map)?.map(Record::Mail),
            Owner::Outbox => read_as(kind, map)?.map(Record::Outbox),
            Owner::Partners => read_as(kind, map)?.map(Record::Partners),
            Owner::Meta => read_as(kind, map)?.map(Record::Meta),
        })
    }
}

/// A string, borrowed from the line when it can be.
struct Text<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(reader: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(text)))
            }
            fn visit_str<E>(self, text: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(text.to_owned())))
            }
        }
        reader.deserialize_str(TextVisitor)
    }
}

/// Reads the rest of the line as a `T` (an adjacently tagged record enum)
/// of this `kind`; `None`, with the line untouched, when `T` has no such kind.
fn read_as<'de, T: Deserialize<'de>, A: MapAccess<'de>>(kind: &str, map: &mut A) -> Result<Option<T>, A::Error> {
    let mut rest = Rest { kind, map, step: 0, value_read: false };
    match T::deserialize(RestReader(&mut rest)) {
        Ok(record) => Ok(Some(record)),
        // The kind was refused before the value was touched: another enum's.
        Err(_) if !rest.value_read => Ok(None),
        Err(err) => Err(err),
    }
}

/// The line's kind, already read, followed by its value, still to read.
struct Rest<'k, 'm, A> {
    kind: &'k str,
    map: &'m mut A,
    step: u8,
    value_read: bool,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Rest<'_, '_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        let key = match self.step {
            0 => "kind",
            1 => {
                // The kind is this enum's: from here on the line itself is read.
                self.value_read = true;
                match self.map.next_key::<Text<'de>>()? {
                    Some(key) if key.0 == "value" => "value",
                    Some(_) => return Err(A::Error::custom("a record's kind is followed by its value")),
                    None => return Ok(None),
                }
            }
            _ => return Ok(None),
        };
        seed.deserialize(key.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.step += 1;
        if self.step == 1 {
            return seed.deserialize(self.kind.into_deserializer());
        }
        self.map.next_value_seed(seed)
    }
}

struct RestReader<'r, 'k, 'm, A>(&'r mut Rest<'k, 'm, A>);

impl<'de, A: MapAccess<'de>> Deserializer<'de> for RestReader<'_, '_, '_, A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_map(self.0)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// The whole state as the facade gathered it, to be written record by record.
#[derive(Debug)]
pub struct Whole {
    pub(super) partners: Vec<partners::Record>,
    pub(super) accounts: accounts::Gathered,
    pub(super) outbox: Vec<outbox::Record>,
    pub(super) mail: mail::Gathered,
    pub(super) counters: Counters,
}

impl Whole {
    /// Passes each record to `write`, in the order a log starts with: its
    /// format, partners, accounts, the outbox, mail, the counters.
    pub fn each_record<E>(self, mut write: impl FnMut(&Record) -> Result<(), E>) -> Result<(), E> {
        write(&Record::Meta(Meta::Format(FORMAT)))?;
        for record in self.partners {
            write(&Record::Partners(record))?;
        }
        for record in self.accounts.records() {
            write(&Record::Accounts(record))?;
        }
        for record in self.outbox {
            write(&Record::Outbox(record))?;
        }
        for record in self.mail.records() {
            write(&Record::Mail(record))?;
        }
        write(&Record::Meta(Meta::Counters(self.counters)))
    }
}

/// What records decoded together share in memory, worked out as they are
/// decoded (on the decoding thread) rather than when the store takes them.
#[derive(Debug, Default)]
pub struct Decoded {
    cards: mail::DecodedCards,
    sentences: outbox::DecodedSentences,
}

impl Decoded {
    /// Lets `record` share what an earlier record of the same batch holds.
    pub fn share(&mut self, record: &mut Record) {
        match record {
            Record::Mail(record) => self.cards.share(record),
            Record::Outbox(record) => self.sentences.share(record),
            _ => {}
        }
    }
}

/// A state rebuilt from records, applied in order: each record replaces what
/// it names, so a thing written twice ends as it was written last.
#[derive(Debug, Default)]
pub struct Replay {
    format: Option<u32>,
    counters: Counters,
    partners: partners::Replay,
    accounts: accounts::Replay,
    outbox: outbox::Replay,
    mail: mail::Replay,
}

impl Replay {
    /// Applies one record.
    pub fn apply(&mut self, record: Record) {
        match record {
            Record::Meta(Meta::Format(format)) => self.format = Some(format),
            Record::Meta(Meta::Counters(counters)) => self.counters = counters,
            Record::Partners(record) => self.partners.apply(record),
            Record::Accounts(record) => self.accounts.apply(record),
            Record::Outbox(record) => self.outbox.apply(record),
            Record::Mail(record) => self.mail.apply(record),
        }
    }

    /// The format named by the log's first record, if it had one.
    pub fn format(&self) -> Option<u32> {
        self.format
    }

    /// The state as `PUT /_mock/state` would take it (checked when restored).
    pub fn into_snapshot(self) -> Snapshot {
        let Self { format, counters, partners, accounts, outbox, mail } = self;
        let mut snapshot = Snapshot::empty(format.unwrap_or(FORMAT));
        let mut outbox_part = Snapshot::default();
        // The outbox on a thread of its own (at a million letters, two million
        // emails and a million links), beside the rest.
        std::thread::scope(|scope| {
            scope.spawn(|| outbox.finish(&counters, &mut outbox_part));
            partners.finish(&mut snapshot);
            accounts.finish(&counters, &mut snapshot);
            mail.finish(&counters, &mut snapshot);
        });
        snapshot.put_outbox_part(outbox_part);
        snapshot.clock_offset = Some(counters.clock);
        snapshot
    }
}

/// The records of one kind of thing as they came, each naming its key
/// (`None`: the thing is gone); what each thing became is worked out once at
/// the end, by a stable sort on the keys. A rewrite writes things in key
/// order, which makes that sort one pass.
#[derive(Debug)]
pub struct Latest<K, T>(Vec<(K, Option<T>)>);

impl<K, T> Default for Latest<K, T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<K: Ord, T> Latest<K, T> {
    /// `key` is now `value`.
    pub fn put(&mut self, key: K, value: T) {
        self.0.push((key, Some(value)));
    }

    /// `key` is gone.
    pub fn remove(&mut self, key: K) {
        self.0.push((key, None));
    }

    /// What each key became (its last record), in key order; gone ones left out.
    pub fn finish(self) -> Vec<T> {
        let mut records = self.0;
        if records.is_sorted_by(|(a, _), (b, _)| a < b) {
            // One record per key, in key order (a log just rewritten): kept where they are.
            return records.into_iter().filter_map(|(_, value)| value).collect();
        }
        // Stable: a key's records stay in the order they came.
        records.sort_by(|(a, _), (b, _)| a.cmp(b));
        let mut records = records.into_iter().peekable();
        let mut latest = Vec::with_capacity(records.len());
        while let Some((key, value)) = records.next() {
            let replaced = records.peek().is_some_and(|(next, _)| *next == key);
            latest.extend(value.filter(|_| !replaced));
        }
        latest
    }
}

/// A user record, for tests that write logs by hand.
#[cfg(test)]
pub fn user(user: std::sync::Arc<super::user::User>) -> Record {
    Record::Accounts(accounts::Record::User(user))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_read_back_by_the_aggregate_that_wrote_it() {
        let lines = [
            r#"{"kind":"format","value":2}"#,
            r#"{"kind":"user_gone","value":7}"#,
            r#"{"kind":"seen","value":["tok",7,false]}"#,
            r#"{"kind":"partner_gone","value":"tok"}"#,
            r#"{"kind":"email_gone","value":3}"#,
            r#"{"kind":"content_gone","value":"abc"}"#,
            r#"{"kind":"delivery_gone","value":4}"#,
        ];
        for line in lines {
            let record: Record = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(serde_json::to_string(&record).unwrap(), line, "written back the same");
        }
        let record: Record = serde_json::from_value(serde_json::json!({"kind": "letter_gone", "value": 9})).unwrap();
        assert!(matches!(record, Record::Mail(mail::Record::LetterGone(9))), "owned strings are read too");
    }

    #[test]
    fn an_unknown_kind_a_bad_value_or_a_value_before_its_kind_is_an_error() {
        let err = |line: &str| serde_json::from_str::<Record>(line).unwrap_err().to_string();
        assert!(err(r#"{"kind":"unicorn","value":1}"#).contains("unknown record kind `unicorn`"));
        assert!(err(r#"{"kind":"user_gone","value":"seven"}"#).contains("invalid type"));
        assert!(err(r#"{"value":7,"kind":"user_gone"}"#).contains("kind first"));
        assert!(err(r#"{"kind":"user_gone","id":7}"#).contains("followed by its value"));
        assert!(err(r#"[7]"#).contains("a record: {\"kind\""), "{}", err("[7]"));
        assert!(err(r#"{"kind":7,"value":7}"#).contains("expected a string"), "{}", err(r#"{"kind":7}"#));
    }

    #[test]
    fn the_last_record_of_each_key_wins_in_key_order_and_gone_keys_are_left_out() {
        let mut latest = Latest::default();
        latest.put(3, "c");
        latest.put(1, "a");
        latest.put(2, "b");
        latest.put(1, "a again");
        latest.remove(2);
        latest.remove(4);
        latest.put(4, "d after it was gone");
        assert_eq!(latest.finish(), ["a again", "c", "d after it was gone"]);
    }

    #[test]
    fn records_already_in_key_order_are_kept_as_they_are_but_a_key_written_twice_still_ends_as_written_last() {
        let mut latest = Latest::default();
        latest.put(1, "a");
        latest.remove(2);
        latest.put(3, "c");
        assert_eq!(latest.finish(), ["a", "c"]);
        let mut latest = Latest::default();
        latest.put(1, "a");
        latest.put(1, "a again");
        latest.put(2, "b");
        assert_eq!(latest.finish(), ["a again", "b"]);
    }

    #[test]
    fn keys_after_the_value_are_ignored() {
        let record: Record = serde_json::from_str(r#"{"kind":"user_gone","value":7,"note":[1,{"a":2}]}"#).unwrap();
        assert!(matches!(record, Record::Accounts(accounts::Record::UserGone(7))));
    }
}
