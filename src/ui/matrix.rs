//! The ATT&CK matrix the console shows: tactics as columns in matrix order, each listing the
//! techniques the filtered alerts name, built by the reader worker from
//! [`Store::technique_counts`](crate::store::Store::technique_counts); and the column layout
//! that update (scrolling) and view (drawing) share.

use std::collections::{BTreeMap, HashMap};

use crate::attack::Catalogue;
use crate::store::TechniqueCount;

/// The shortname of the last column, which holds ids the catalogue does not know.
pub const OTHER: &str = "other";

/// Columns are at least this wide (two of them a gap), more when the screen has room to spare.
pub const COLUMN_WIDTH: usize = 24;

/// One technique in one tactic's column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixCell {
    /// The id as the alerts store it (`T1110.001`).
    pub technique: String,
    /// The technique's own name (`Password Guessing`), or `(not in ATT&CK)`.
    pub name: String,
    pub alerts: i64,
    pub events: i64,
}

/// One tactic of the matrix with the techniques seen under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The tactic's name (`Credential Access`).
    pub tactic: String,
    pub shortname: String,
    pub cells: Vec<MatrixCell>,
}

impl Column {
    /// The alerts of its cells added up (an alert naming two of its techniques counts twice).
    pub fn alerts(&self) -> i64 {
        self.cells.iter().map(|c| c.alerts).sum()
    }
}

/// Every tactic of `cat` in matrix order, empty ones too, each with the techniques of `counts`
/// that belong to it (a technique with several tactics is in each). Sub-techniques are cells of
/// their own right after their parent; families (a technique and its sub-techniques) are
/// ordered by their busiest cell's events, then by id, and so are cells within a family. Ids
/// the catalogue does not know go to a last column, "Other", present only when there are any.
pub fn build(counts: &[TechniqueCount], cat: &Catalogue) -> Vec<Column> {
    let mut by_tactic: HashMap<&str, Vec<MatrixCell>> = HashMap::new();
    let mut other = Vec::new();
    for c in counts {
        let known = cat.technique(&c.technique);
        let cell = MatrixCell {
            technique: c.technique.clone(),
            name: known.map_or_else(|| "(not in ATT&CK)".to_string(), |t| t.name.clone()),
            alerts: c.alerts,
            events: c.events,
        };
        let tactics: Vec<&str> = known
            .map(|t| t.tactics.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let placed: Vec<&str> = tactics
            .into_iter()
            .filter(|t| cat.tactic(t).is_some())
            .collect();
        if placed.is_empty() {
            other.push(cell);
            continue;
        }
        for t in placed {
            by_tactic.entry(t).or_default().push(cell.clone());
        }
    }
    let mut columns: Vec<Column> = cat
        .tactics
        .iter()
        .map(|t| Column {
            tactic: t.name.clone(),
            shortname: t.shortname.clone(),
            cells: order(by_tactic.remove(t.shortname.as_str()).unwrap_or_default()),
        })
        .collect();
    if !other.is_empty() {
        columns.push(Column {
            tactic: "Other".into(),
            shortname: OTHER.into(),
            cells: order(other),
        });
    }
    columns
}

/// Families by their busiest cell (events, then id), the parent first within each.
fn order(cells: Vec<MatrixCell>) -> Vec<MatrixCell> {
    let by_events = |a: &MatrixCell, b: &MatrixCell| {
        b.events
            .cmp(&a.events)
            .then_with(|| a.technique.cmp(&b.technique))
    };
    let mut families: BTreeMap<String, Vec<MatrixCell>> = BTreeMap::new();
    for cell in cells {
        let parent = match cell.technique.split_once('.') {
            Some((p, _)) => p.to_string(),
            None => cell.technique.clone(),
        };
        families.entry(parent).or_default().push(cell);
    }
    let mut families: Vec<(String, Vec<MatrixCell>)> = families
        .into_iter()
        .map(|(parent, mut cells)| {
            cells.sort_by(|a, b| {
                let a_parent = a.technique == parent;
                let b_parent = b.technique == parent;
                b_parent.cmp(&a_parent).then_with(|| by_events(a, b))
            });
            (parent, cells)
        })
        .collect();
    let busiest = |cells: &[MatrixCell]| cells.iter().map(|c| c.events).max().unwrap_or(0);
    families.sort_by(|(pa, a), (pb, b)| busiest(b).cmp(&busiest(a)).then_with(|| pa.cmp(pb)));
    families.into_iter().flat_map(|(_, cells)| cells).collect()
}

/// How many columns fit in `width` terminal columns (one kept on each side for the `‹ ›`
/// markers), and how wide each is.
pub fn layout(width: usize) -> (usize, usize) {
    let usable = width.saturating_sub(2);
    let n = (usable / COLUMN_WIDTH).max(1);
    (n, (usable / n).max(1))
}

/// The first column to show so that `col` is on screen, starting from `left` (the last one
/// shown) and moving as little as possible; never leaves blank room at the right.
pub fn first_shown(left: usize, col: usize, shown: usize, len: usize) -> usize {
    let shown = shown.max(1);
    let left = left.min(col).max((col + 1).saturating_sub(shown));
    left.min(len.saturating_sub(shown))
}

/// The first row to show so that `row` is on screen in `height` rows, moving from `top` as
/// little as possible.
pub fn first_row(top: usize, row: usize, height: usize) -> usize {
    top.min(row).max((row + 1).saturating_sub(height.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(technique: &str, alerts: i64, events: i64) -> TechniqueCount {
        TechniqueCount {
            technique: technique.into(),
            alerts,
            events,
            last_seen: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    fn ids(col: &Column) -> Vec<&str> {
        col.cells.iter().map(|c| c.technique.as_str()).collect()
    }

    #[test]
    fn columns_follow_the_catalogue_and_place_each_technique_under_its_tactics() {
        let cat = Catalogue::get();
        let counts = [
            count("T1078", 2, 3),
            count("T1110", 1, 1),
            count("T1110.001", 3, 40),
            count("T1110.003", 2, 40),
            count("T1021.004", 1, 9),
            count("T1059", 4, 20),
            count("T9999", 1, 1),
        ];
        let cols = build(&counts, cat);
        // Every tactic in matrix order, then "Other" for the unknown id.
        assert_eq!(cols.len(), cat.tactics.len() + 1);
        for (col, tactic) in cols.iter().zip(&cat.tactics) {
            assert_eq!(col.shortname, tactic.shortname);
            assert_eq!(col.tactic, tactic.name);
        }
        let col = |short: &str| cols.iter().find(|c| c.shortname == short).unwrap();
        assert!(col("reconnaissance").cells.is_empty(), "empty tactics stay");
        // Valid Accounts has four tactics and is in each.
        for t in [
            "initial-access",
            "persistence",
            "privilege-escalation",
            "defense-evasion",
        ] {
            assert_eq!(ids(col(t)), ["T1078"], "{t}");
        }
        // The parent comes first although its sub-techniques have more events; those tie on
        // events, so go by id.
        assert_eq!(
            ids(col("credential-access")),
            ["T1110", "T1110.001", "T1110.003"]
        );
        assert_eq!(col("credential-access").alerts(), 6);
        let brute = &col("credential-access").cells[1];
        assert_eq!(brute.name, "Password Guessing");
        assert_eq!((brute.alerts, brute.events), (3, 40));
        // A sub-technique seen without its parent stands alone.
        assert_eq!(ids(col("lateral-movement")), ["T1021.004"]);
        let other = cols.last().unwrap();
        assert_eq!(
            (other.tactic.as_str(), other.shortname.as_str()),
            ("Other", OTHER)
        );
        assert_eq!(ids(other), ["T9999"]);
        assert_eq!(other.cells[0].name, "(not in ATT&CK)");
        // Without unknown ids there is no "Other".
        assert_eq!(build(&counts[..6], cat).len(), cat.tactics.len());
        assert!(build(&[], cat).iter().all(|c| c.cells.is_empty()));
    }

    #[test]
    fn families_order_by_their_busiest_cell_then_id() {
        let cat = Catalogue::get();
        // All three in execution; T1059's sub-technique is the busiest cell of the column.
        let counts = [
            count("T1204", 5, 30),
            count("T1059", 1, 2),
            count("T1059.001", 1, 50),
            count("T1053", 2, 30),
        ];
        let cols = build(&counts, cat);
        let exec = cols.iter().find(|c| c.shortname == "execution").unwrap();
        assert_eq!(ids(exec), ["T1059", "T1059.001", "T1053", "T1204"]);
    }

    #[test]
    fn layout_and_scrolling_keep_the_selection_on_screen() {
        assert_eq!(layout(80), (3, 26));
        assert_eq!(layout(200), (8, 24));
        assert_eq!(layout(10), (1, 8));
        // Moving right past the edge scrolls by one; moving back inside does not scroll.
        assert_eq!(first_shown(0, 3, 3, 14), 1);
        assert_eq!(first_shown(1, 2, 3, 14), 1);
        assert_eq!(first_shown(5, 2, 3, 14), 2);
        assert_eq!(first_shown(9, 13, 8, 14), 6);
        assert_eq!(first_shown(4, 1, 8, 5), 0);
        assert_eq!(first_row(0, 12, 10), 3);
        assert_eq!(first_row(3, 5, 10), 3);
        assert_eq!(first_row(3, 1, 10), 1);
    }
}
