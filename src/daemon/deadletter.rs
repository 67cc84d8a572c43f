//! Dead letters: stream entries that could not be normalised, kept in `<stream>:dead` with the
//! reason, the original id and time, and the original fields, so they can be listed, replayed
//! into their stream after a fix, or dropped.
//!
//! A dead letter is written after the store has committed the read (its rejected row is in that
//! transaction) and before the source entry is acked. It takes the original entry's id in the
//! dead stream, so writing it again after a crash finds it there instead of adding a second one
//! (if an entry with a larger id got there first, it falls back to a fresh id).

use jiff::Timestamp;
use redis::aio::MultiplexedConnection;
use redis::{Connection, RedisError, Value};
use serde::Serialize;

use super::entry::DeadLetter;
use super::streams::{DEAD_SUFFIX, dead_key};

/// Writes one dead letter to `<stream>:dead`.
pub async fn push(conn: &mut MultiplexedConnection, dead: &DeadLetter) -> Result<(), RedisError> {
    let key = dead_key(&dead.stream);
    let fields_json = serde_json::to_string(
        &dead
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect::<serde_json::Map<_, _>>(),
    )
    .unwrap_or_else(|_| "{}".into());
    let at = Timestamp::now().to_string();
    let xadd = |id: &str| {
        let mut c = redis::cmd("XADD");
        c.arg(&key)
            .arg(id)
            .arg("stream")
            .arg(&dead.stream)
            .arg("original_id")
            .arg(&dead.id)
            .arg("reason")
            .arg(&dead.reason)
            .arg("at")
            .arg(&at)
            .arg("fields")
            .arg(&fields_json);
        c
    };
    let first: Result<String, RedisError> = xadd(&dead.id).query_async(conn).await;
    match first {
        Ok(_) => Ok(()),
        Err(e) if e.to_string().contains("equal or smaller") => {
            let there: Value = redis::cmd("XRANGE")
                .arg(&key)
                .arg(&dead.id)
                .arg(&dead.id)
                .query_async(conn)
                .await?;
            if matches!(&there, Value::Array(a) if !a.is_empty()) {
                return Ok(());
            }
            let _: String = xadd("*").query_async(conn).await?;
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// One dead letter as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listed {
    /// The dead-letter stream and the entry's id in it.
    pub dead_stream: String,
    pub dead_id: String,
    /// The stream and id the entry had.
    pub stream: String,
    pub original_id: String,
    pub reason: String,
    pub at: String,
    /// The original fields (`data` for ASF entries).
    pub fields: serde_json::Map<String, serde_json::Value>,
}

fn text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

/// The dead letters of `dead_streams`, oldest first, at most `limit` per stream.
pub fn list(
    conn: &mut Connection,
    dead_streams: &[String],
    limit: usize,
) -> Result<Vec<Listed>, RedisError> {
    let mut out = Vec::new();
    for key in dead_streams {
        let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg(key)
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(limit.min(i64::MAX as usize))
            .query(conn)?;
        for entry in reply.ids {
            let get = |f: &str| entry.map.get(f).map(text).unwrap_or_default();
            let fields = serde_json::from_str(&get("fields")).unwrap_or_default();
            out.push(Listed {
                dead_stream: key.clone(),
                dead_id: entry.id.clone(),
                stream: {
                    let s = get("stream");
                    if s.is_empty() {
                        key.strip_suffix(DEAD_SUFFIX).unwrap_or(key).to_string()
                    } else {
                        s
                    }
                },
                original_id: get("original_id"),
                reason: get("reason"),
                at: get("at"),
                fields,
            });
        }
    }
    Ok(out)
}

/// Puts a dead letter back into its stream (a new entry, so a new event id) and removes it
/// from the dead stream, atomically. Returns the new entry's id.
pub fn replay(conn: &mut Connection, dead: &Listed) -> Result<String, RedisError> {
    let mut pipe = redis::pipe();
    pipe.atomic();
    let xadd = pipe.cmd("XADD").arg(&dead.stream).arg("*");
    for (k, v) in &dead.fields {
        let v = match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        xadd.arg(k).arg(v);
    }
    pipe.cmd("XDEL")
        .arg(&dead.dead_stream)
        .arg(&dead.dead_id)
        .ignore();
    let (id,): (String,) = pipe.query(conn)?;
    Ok(id)
}

/// Deletes a dead letter for good (its rejected row stays in the store).
pub fn drop_one(conn: &mut Connection, dead: &Listed) -> Result<(), RedisError> {
    redis::cmd("XDEL")
        .arg(&dead.dead_stream)
        .arg(&dead.dead_id)
        .query(conn)
}
