//! Retention: `XTRIM MINID` by age per stream (like ASF's REDIS_STREAM_STORE_DAYS), never above
//! what every consumer group of the stream has acknowledged. Dead-letter streams are not
//! trimmed (their entries wait for a person).

use redis::{Connection, RedisError};

use super::streams::{GroupHealth, groups, parse_id};

/// The id below which `stream` may be trimmed: the older of the age cutoff and, for each group,
/// its oldest pending entry (or the entry after the last one it was given). None when the
/// stream has no group (nothing is known to be consumed) or nothing may go.
pub fn safe_min_id(groups: &[GroupHealth], cutoff_ms: u64) -> Option<(u64, u64)> {
    if groups.is_empty() {
        return None;
    }
    let mut bound = (cutoff_ms, 0);
    for g in groups {
        let limit = match &g.oldest_pending_id {
            Some(id) if g.pending > 0 => parse_id(id)?,
            _ => {
                let (ms, seq) = parse_id(&g.last_delivered_id)?;
                (ms, seq.checked_add(1)?)
            }
        };
        bound = bound.min(limit);
    }
    (bound > (0, 0)).then_some(bound)
}

/// Trims `stream` to entries newer than `days` days or not yet acked by every group; returns
/// how many entries went.
pub fn trim(conn: &mut Connection, stream: &str, days: u32) -> Result<u64, RedisError> {
    if days == 0 {
        return Ok(0);
    }
    let now_ms = jiff::Timestamp::now().as_millisecond().max(0) as u64;
    let cutoff = now_ms.saturating_sub(u64::from(days) * 86_400_000);
    let Some((ms, seq)) = safe_min_id(&groups(conn, stream)?, cutoff) else {
        return Ok(0);
    };
    redis::cmd("XTRIM")
        .arg(stream)
        .arg("MINID")
        .arg(format!("{ms}-{seq}"))
        .query(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(pending: u64, oldest: Option<&str>, last: &str) -> GroupHealth {
        GroupHealth {
            name: "g".into(),
            pending,
            oldest_pending_id: oldest.map(Into::into),
            last_delivered_id: last.into(),
            ..Default::default()
        }
    }

    #[test]
    fn never_trims_past_what_a_group_has_not_acked() {
        // Age cutoff is the limit when every group is ahead of it.
        assert_eq!(safe_min_id(&[group(0, None, "900-0")], 500), Some((500, 0)));
        // A group behind the cutoff holds it back to its next undelivered entry...
        assert_eq!(safe_min_id(&[group(0, None, "300-4")], 500), Some((300, 5)));
        // ...or to its oldest pending entry.
        assert_eq!(
            safe_min_id(
                &[group(0, None, "900-0"), group(2, Some("200-1"), "950-0")],
                500
            ),
            Some((200, 1))
        );
        // No group: nothing is known to be consumed.
        assert_eq!(safe_min_id(&[], 500), None);
    }
}
