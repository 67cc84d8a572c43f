//! The ATT&CK tab: tactics side by side as columns of equal width (as many as fit, scrolled
//! sideways to keep the selected one on screen, `‹ ›` when more are off it), each headed by the
//! tactic and its alerts, each cell a technique with its alert count, coloured by how busy it
//! is next to the other cells (quintiles, drawn in the severity colours).

use std::collections::HashSet;

use ratatui::Frame;
use ratatui::layout::Rect;
use unicode_width::UnicodeWidthStr;

use super::{Ctx, chrome, fit};
use crate::ui::matrix::{Column, MatrixCell, first_row, first_shown, layout};
use crate::ui::model::{Matrix, Model};

/// The heat levels, coolest first.
const HEAT: [&str; 5] = [
    "severity.info",
    "severity.low",
    "severity.medium",
    "severity.high",
    "severity.critical",
];

pub fn draw(f: &mut Frame<'_>, area: Rect, m: &Model, cx: &Ctx<'_>) {
    let x = &m.matrix;
    let title = title(m);
    let block = chrome::block(cx, &title, true);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let buf = f.buffer_mut();
    let dim = cx.style("ui.text.dim");
    if !x.loaded {
        buf.set_stringn(inner.x + 1, inner.y, "loading…", inner.width as usize, dim);
        return;
    }
    let (shown, width) = layout(inner.width as usize);
    let left = first_shown(x.left, x.col, shown, x.columns.len());
    let rows = inner.height.saturating_sub(1) as usize;
    let heat = Heat::new(&x.columns);
    for k in (left..x.columns.len()).take(shown) {
        let cx0 = inner.x + 1 + ((k - left) * width) as u16;
        let area = Rect {
            x: cx0,
            y: inner.y,
            // Two blank columns between tactics.
            width: width.saturating_sub(2) as u16,
            height: inner.height,
        };
        column(buf, area, x, k, rows, &heat, cx);
    }
    let marker = cx.style("ui.hint.key");
    if left > 0 {
        buf.set_stringn(inner.x, inner.y, "‹", 1, marker);
    }
    if left + shown < x.columns.len() {
        let right = inner.x + inner.width - 1;
        buf.set_stringn(right, inner.y, "›", 1, marker);
    }
    if x.techniques == 0 && inner.height > 2 {
        buf.set_stringn(
            inner.x + 1,
            inner.y + 2,
            "No alert names an ATT&CK technique under this filter.",
            inner.width.saturating_sub(1) as usize,
            dim,
        );
    }
}

/// `ATT&CK v18.1 · 12 techniques · /status:open`.
fn title(m: &Model) -> String {
    let n = m.matrix.techniques;
    let mut t = format!(
        "ATT&CK v{} · {n} technique{} · /{}",
        crate::attack::ATTACK_RELEASE,
        if n == 1 { "" } else { "s" },
        m.queue.filter_text
    );
    if let Some(drill) = crate::ui::update::drill_label(m) {
        t.push_str(&format!(" · {drill}"));
    }
    t
}

/// One column: its header, then its cells from the row that keeps the selection on screen.
fn column(
    buf: &mut ratatui::buffer::Buffer,
    area: Rect,
    x: &Matrix,
    k: usize,
    rows: usize,
    heat: &Heat,
    cx: &Ctx<'_>,
) {
    let Some(col) = x.columns.get(k) else {
        return;
    };
    let w = area.width as usize;
    let selected_col = k == x.col;
    let header_style = if selected_col {
        cx.style("ui.tab.active")
    } else {
        cx.style("ui.header")
    };
    buf.set_stringn(
        area.x,
        area.y,
        header(&col.tactic, col.alerts(), w),
        w,
        header_style,
    );
    let top = if selected_col {
        first_row(x.top, x.row, rows)
    } else {
        0
    };
    let below = col.cells.len().saturating_sub(top + rows);
    for (i, cell) in col.cells.iter().enumerate().skip(top).take(rows) {
        let y = area.y + 1 + (i - top) as u16;
        let is_selected = selected_col && i == x.row;
        if below > 0 && i + 1 == top + rows && !is_selected {
            let more = format!("  ↓ {} more", below + 1);
            buf.set_stringn(area.x, y, more, w, cx.style("ui.text.dim"));
            continue;
        }
        let style = if is_selected {
            cx.style("ui.selection")
        } else {
            cx.style(HEAT[heat.level(cell.alerts)])
        };
        buf.set_stringn(area.x, y, text(cell, w), w, style);
    }
}

/// `Credential Access     42`, `w` columns wide.
fn header(tactic: &str, alerts: i64, w: usize) -> String {
    let num = alerts.to_string();
    let name = fit(tactic, w.saturating_sub(num.len() + 1));
    let pad = w.saturating_sub(name.width() + num.len());
    format!("{name}{}{num}", " ".repeat(pad))
}

/// `T1110.001 Password Guess…  12`, exactly `w` columns wide (the count right-aligned).
fn text(cell: &MatrixCell, w: usize) -> String {
    let num = format!(" {}", cell.alerts);
    let id = fit(&cell.technique, w.saturating_sub(num.len()));
    let room = w.saturating_sub(id.width() + num.len() + 1);
    let name = if room >= 3 {
        // No space before the ellipsis: `Password…`, not `Password …`.
        format!(" {}", fit(&cell.name, room).replace(" …", "…"))
    } else {
        String::new()
    };
    let pad = w.saturating_sub(id.width() + name.width() + num.len());
    format!("{id}{name}{}{num}", " ".repeat(pad))
}

/// Where a count stands among all the cells' counts (each technique once).
struct Heat {
    sorted: Vec<i64>,
}

impl Heat {
    fn new(columns: &[Column]) -> Heat {
        let mut seen = HashSet::new();
        let mut sorted: Vec<i64> = columns
            .iter()
            .flat_map(|c| &c.cells)
            .filter(|cell| seen.insert(cell.technique.as_str()))
            .map(|cell| cell.alerts)
            .collect();
        sorted.sort_unstable();
        Heat { sorted }
    }

    /// 0 (coolest fifth) to 4 (busiest fifth), by mid-rank so that ties share a level.
    fn level(&self, alerts: i64) -> usize {
        let n = self.sorted.len();
        if n == 0 {
            return 0;
        }
        let below = self.sorted.partition_point(|&v| v < alerts);
        let upto = self.sorted.partition_point(|&v| v <= alerts);
        ((below + upto) * HEAT.len() / (2 * n)).min(HEAT.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(id: &str, name: &str, alerts: i64) -> MatrixCell {
        MatrixCell {
            technique: id.into(),
            name: name.into(),
            alerts,
            events: alerts,
        }
    }

    #[test]
    fn cells_and_headers_fill_their_width() {
        let c = cell("T1110.001", "Password Guessing", 12);
        assert_eq!(text(&c, 23), "T1110.001 Password…  12");
        assert_eq!(text(&c, 26), "T1110.001 Password Gue… 12");
        assert_eq!(text(&c, 23).width(), 23);
        assert_eq!(text(&cell("T1110", "Brute Force", 3), 23).width(), 23);
        assert_eq!(text(&c, 12), "T1110.001 12");
        assert_eq!(
            header("Command and Control", 7, 23),
            "Command and Control   7"
        );
        assert_eq!(header("Privilege Escalation", 1234, 20).width(), 20);
    }

    #[test]
    fn heat_splits_counts_into_fifths_and_ties_share_a_level() {
        let col = Column {
            tactic: "t".into(),
            shortname: "t".into(),
            cells: (1..=10).map(|i| cell(&format!("T{i}"), "", i)).collect(),
        };
        let heat = Heat::new(std::slice::from_ref(&col));
        let levels: Vec<usize> = (1..=10).map(|i| heat.level(i)).collect();
        assert_eq!(levels, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
        let same = Column {
            cells: vec![cell("T1", "", 5), cell("T2", "", 5)],
            ..col
        };
        let heat = Heat::new(std::slice::from_ref(&same));
        assert_eq!(heat.level(5), 2);
        assert_eq!(Heat::new(&[]).level(3), 0);
    }

    /// The screen after `actions`, on a model whose matrix has a long second column.
    fn screen(width: u16, height: u16, actions: &[crate::ui::Action]) -> (String, Model) {
        let keymap = crate::ui::keymap::Keymap::load("default", None, false).unwrap();
        let theme = crate::ui::theme::Theme::load("dark", None).unwrap();
        let mut m = Model::new("ana", false, 200, std::time::Duration::from_secs(60));
        m.width = width;
        m.height = height;
        m.tab = crate::ui::model::Tab::Attack;
        let column = |n: usize, cells: usize| Column {
            tactic: format!("Tactic {n}"),
            shortname: format!("t{n}"),
            cells: (0..cells)
                .map(|i| cell(&format!("T{n}{i:03}"), "Some Technique Name", 1 + i as i64))
                .collect(),
        };
        m.matrix = Matrix {
            columns: (0..6).map(|n| column(n, [2, 20, 10, 0, 1, 1][n])).collect(),
            col: 1,
            techniques: 34,
            loaded: true,
            ..Matrix::default()
        };
        for a in actions {
            crate::ui::update::action(&mut m, *a, None);
        }
        let mut t =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
        let cx = Ctx {
            keymap: &keymap,
            theme: &theme,
        };
        t.draw(|f| super::super::draw(f, &m, &cx)).unwrap();
        let buf = t.backend().buffer();
        let mut out = String::new();
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                out.push_str(buf[(x, y)].symbol());
            }
            out.push('\n');
        }
        (out, m)
    }

    #[test]
    fn columns_scroll_to_keep_the_selection_on_screen() {
        use crate::ui::Action::{ColumnLeft, ColumnRight, Down, Up};
        // 80x12: seven rows of cells, three columns.
        let (s, m) = screen(80, 12, &[Down; 10]);
        assert_eq!((m.matrix.row, m.matrix.top), (10, 4));
        assert!(s.contains("T1010") && s.contains("T1004"), "{s}");
        assert!(!s.contains("T1003 "), "scrolled past: {s}");
        // The column beside it stays at its top, with what it does not show counted.
        assert!(s.contains("T2000") && s.contains("↓ 4 more"), "{s}");
        assert!(!s.contains("‹") && s.contains("›"), "{s}");
        // Moving back up inside the window does not scroll.
        let (_, m) = screen(80, 12, &[[Down; 10].as_slice(), &[Up; 3]].concat());
        assert_eq!((m.matrix.row, m.matrix.top), (7, 4));
        // Right across columns: the row is clamped to the shorter column, and the window
        // follows with markers on both sides.
        let (s, m) = screen(80, 12, &[[Down; 15].as_slice(), &[ColumnRight; 2]].concat());
        assert_eq!((m.matrix.col, m.matrix.row), (3, 0), "column 3 is empty");
        let (s2, m2) = screen(80, 12, &[[Down; 15].as_slice(), &[ColumnRight]].concat());
        assert_eq!((m2.matrix.col, m2.matrix.row), (2, 9));
        assert!(s2.contains("T2009"), "{s2}");
        assert_eq!(m.matrix.left, 1);
        assert!(s.contains("‹") && s.contains("›"), "{s}");
        assert!(s.contains("Tactic 3") && !s.contains("Tactic 0"), "{s}");
        let (_, m) = screen(80, 12, &[ColumnLeft; 3]);
        assert_eq!((m.matrix.col, m.matrix.left), (0, 0));
        // Tiny terminals draw what fits.
        for (w, h) in [(12, 6), (3, 3), (1, 1)] {
            screen(w, h, &[Down, ColumnRight]);
        }
        // 200x50 shows every column, nothing to scroll.
        let (s, _) = screen(200, 50, &[]);
        assert!(
            s.contains("Tactic 5") && !s.contains("›") && !s.contains("more"),
            "{s}"
        );
    }
}
