//! The console's state: everything drawing needs and update changes, and nothing else (no IO,
//! no terminal). Views borrow it; only `update` mutates it.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use jiff::Timestamp;

use super::keys::KeyChord;
use super::matrix::{Column, MatrixCell};
use super::msg::{AlertDetail, Op, ReqId, StatusCounts};
use super::{Condition, Pane};
use crate::domain::{Alert, Case};
use crate::store::{AlertGroup, AlertGroupBy, AlertSort, CaseDetail, CaseFilter};

/// The tabs along the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Queue,
    Cases,
    Attack,
    Hunt,
    Chat,
}

impl Tab {
    pub const ALL: [Tab; 5] = [Tab::Queue, Tab::Cases, Tab::Attack, Tab::Hunt, Tab::Chat];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Queue => "Queue",
            Tab::Cases => "Cases",
            Tab::Attack => "ATT&CK",
            Tab::Hunt => "Hunt",
            Tab::Chat => "Chat",
        }
    }
}

/// Which half of a tab has the keys: its list, or the detail of the selected row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    List,
    Detail,
}

/// A row of the queue as shown: an alert, or (grouped) a group header or one of its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Alert(usize),
    Group(usize),
    Member(usize, usize),
}

/// The alert queue: a virtual list over the store. Only a window of rows is held.
#[derive(Debug, Default)]
pub struct Queue {
    /// The filter as typed (`/`), and whether it parsed.
    pub filter_text: String,
    pub filter_error: Option<String>,
    pub sort: AlertSort,
    pub ascending: bool,
    pub group_by: Option<AlertGroupBy>,
    /// How many alerts match (ungrouped) or how many groups there are (grouped).
    pub total: i64,
    /// Index of the selected row in the whole list.
    pub selected: usize,
    /// Index of the first visible row.
    pub scroll: usize,
    /// The held rows: `rows[i]` is list row `window_start + i`.
    pub window_start: usize,
    pub rows: Vec<Alert>,
    /// Grouped mode: the groups, and the members of the expanded ones (by group value).
    pub groups: Vec<AlertGroup>,
    pub expanded: HashMap<Option<String>, Vec<Alert>>,
    /// Marked alerts (bulk actions) with the version seen, and the anchor row of a visual range.
    pub marks: BTreeMap<String, i64>,
    pub visual_anchor: Option<usize>,
    /// The id under the cursor, kept across refreshes so live alerts do not move it.
    pub selected_id: Option<String>,
    /// Grouped view drilled into: only this group's alerts, ungrouped.
    pub drill: Option<(AlertGroupBy, Option<String>)>,
    /// The offset of the page being fetched, so scrolling does not ask twice.
    pub fetching: Option<usize>,
    pub loaded: bool,
}

impl Queue {
    /// The alert at list row `i`, if held.
    pub fn alert_at(&self, i: usize) -> Option<&Alert> {
        i.checked_sub(self.window_start)
            .and_then(|j| self.rows.get(j))
    }

    /// The rows of the grouped view, in order.
    pub fn group_rows(&self) -> Vec<Row> {
        let mut out = Vec::with_capacity(self.groups.len());
        for (g, group) in self.groups.iter().enumerate() {
            out.push(Row::Group(g));
            if let Some(members) = self.expanded.get(&group.value) {
                out.extend((0..members.len()).map(|m| Row::Member(g, m)));
            }
        }
        out
    }

    /// How many rows the list has now.
    pub fn len(&self) -> usize {
        if self.group_by.is_some() {
            self.group_rows().len()
        } else {
            self.total.max(0) as usize
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The row kind at `i`.
    pub fn row(&self, i: usize) -> Option<Row> {
        if self.group_by.is_some() {
            self.group_rows().get(i).copied()
        } else {
            (i < self.len()).then_some(Row::Alert(i))
        }
    }

    /// The alert a row stands for (a group header stands for none).
    pub fn alert_of(&self, row: Row) -> Option<&Alert> {
        match row {
            Row::Alert(i) => self.alert_at(i),
            Row::Member(g, m) => self
                .groups
                .get(g)
                .and_then(|group| self.expanded.get(&group.value))
                .and_then(|ms| ms.get(m)),
            Row::Group(_) => None,
        }
    }

    pub fn selected_alert(&self) -> Option<&Alert> {
        self.row(self.selected).and_then(|r| self.alert_of(r))
    }

    /// Whether list row `i` lies in the visual range.
    pub fn in_visual(&self, i: usize) -> bool {
        self.visual_anchor.is_some_and(|a| {
            let (lo, hi) = (a.min(self.selected), a.max(self.selected));
            (lo..=hi).contains(&i)
        })
    }
}

/// The open alert's detail.
#[derive(Debug)]
pub struct Detail {
    pub id: String,
    pub data: Option<Box<AlertDetail>>,
    pub section: DetailSection,
    pub scroll: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailSection {
    Overview,
    Events,
    History,
}

impl DetailSection {
    pub const ALL: [DetailSection; 3] = [
        DetailSection::Overview,
        DetailSection::Events,
        DetailSection::History,
    ];

    pub fn title(self) -> &'static str {
        match self {
            DetailSection::Overview => "Overview",
            DetailSection::Events => "Events",
            DetailSection::History => "History",
        }
    }
}

/// The case list.
#[derive(Debug, Default)]
pub struct Cases {
    pub filter: CaseFilter,
    /// 0 open, 1 all, 2 closed.
    pub status_view: usize,
    pub rows: Vec<Case>,
    pub selected: usize,
    pub scroll: usize,
    pub loaded: bool,
}

/// The open case.
#[derive(Debug)]
pub struct CaseView {
    pub id: String,
    pub data: Option<Box<CaseDetail>>,
    pub alerts: Vec<Alert>,
    pub section: CaseSection,
    /// The selected line of the section (an alert, an observable) or its scroll (timeline).
    pub selected: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseSection {
    Timeline,
    Alerts,
    Observables,
}

impl CaseSection {
    pub const ALL: [CaseSection; 3] = [
        CaseSection::Timeline,
        CaseSection::Alerts,
        CaseSection::Observables,
    ];

    pub fn title(self) -> &'static str {
        match self {
            CaseSection::Timeline => "Timeline",
            CaseSection::Alerts => "Alerts",
            CaseSection::Observables => "Observables",
        }
    }
}

/// The ATT&CK matrix tab: techniques the queue's filtered alerts name, under their tactics.
#[derive(Debug, Default)]
pub struct Matrix {
    /// Every tactic in matrix order (see [`crate::ui::matrix::build`]).
    pub columns: Vec<Column>,
    /// The selected column and row (the row may be past an empty column's end).
    pub col: usize,
    pub row: usize,
    /// The first column and the selected column's first row on screen.
    pub left: usize,
    pub top: usize,
    /// How many distinct techniques the columns hold.
    pub techniques: usize,
    pub loaded: bool,
}

impl Matrix {
    /// The selected cell, if its column has one there.
    pub fn selected(&self) -> Option<&MatrixCell> {
        self.columns
            .get(self.col)
            .and_then(|c| c.cells.get(self.row))
    }
}

/// What a picker chooses for.
#[derive(Debug, Clone, PartialEq)]
pub enum PickFor {
    Sort,
    Group,
    Verdict,
    AddToCase,
    CaseStatus,
    CasePriority,
    /// A new hunt for the chosen field value.
    Pivot,
    /// The chosen field value added to the hunt query.
    PivotAdd,
}

/// A popup over the panes. It takes the keys first.
#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    Help {
        scroll: usize,
    },
    Picker {
        title: String,
        items: Vec<(String, String)>,
        selected: usize,
        purpose: PickFor,
    },
    Confirm {
        title: String,
        body: String,
        then: Box<Pending>,
    },
}

/// A change waiting for the analyst's confirmation or for its last input.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub op: Op,
    pub targets: Vec<super::msg::Target>,
}

/// What a one-line input is for.
#[derive(Debug, Clone, PartialEq)]
pub enum InputFor {
    QueueFilter,
    CaseFilter,
    Palette,
    Assign,
    VerdictReason(crate::domain::Verdict),
    EscalateTitle,
    SuppressDuration,
    CaseAssign,
    CloseReason,
    StatusReason(crate::domain::CaseStatus),
    NewCaseTitle,
    HuntQuery,
}

/// A one-line input at the bottom of the screen (unbound keys edit it).
pub struct Input {
    pub purpose: InputFor,
    pub prompt: String,
    pub area: ratatui_textarea::TextArea<'static>,
    /// Palette completions for the current text.
    pub completions: Vec<String>,
    pub completion: Option<usize>,
    /// Where `up`/`down` are in the palette history.
    pub history_at: Option<usize>,
}

impl Input {
    pub fn new(purpose: InputFor, prompt: impl Into<String>, text: &str) -> Input {
        let mut area = ratatui_textarea::TextArea::new(vec![text.to_string()]);
        area.move_cursor(ratatui_textarea::CursorMove::End);
        Input {
            purpose,
            prompt: prompt.into(),
            area,
            completions: Vec::new(),
            completion: None,
            history_at: None,
        }
    }

    /// The text typed so far.
    pub fn text(&self) -> String {
        self.area.lines().join(" ")
    }

    pub fn set_text(&mut self, text: &str) {
        self.area = ratatui_textarea::TextArea::new(vec![text.to_string()]);
        self.area.move_cursor(ratatui_textarea::CursorMove::End);
    }
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("purpose", &self.purpose)
            .field("text", &self.text())
            .finish()
    }
}

/// The note editor.
pub struct Editor {
    pub case_id: String,
    pub area: ratatui_textarea::TextArea<'static>,
}

impl std::fmt::Debug for Editor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Editor")
            .field("case_id", &self.case_id)
            .field("lines", &self.area.lines())
            .finish()
    }
}

/// A message in the status bar that goes away by itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Flash {
    pub text: String,
    pub error: bool,
    pub until: Instant,
}

/// The newest request id sent for each kind of read ("latest job wins").
#[derive(Debug, Default, Clone)]
pub struct Latest {
    pub hunt: ReqId,
    pub event: ReqId,
    pub page: ReqId,
    /// The newest page request that asked for a count.
    pub count: ReqId,
    pub groups: ReqId,
    pub members: ReqId,
    pub detail: ReqId,
    pub cases: ReqId,
    pub case: ReqId,
    pub status: ReqId,
    pub matrix: ReqId,
}

/// The hunt pane: a query on the text index, its hits, and one event's raw record.
#[derive(Debug, Default)]
pub struct Hunt {
    pub query: String,
    /// The query the hits answer (the typed one may be newer).
    pub shown: String,
    pub hits: Vec<crate::index::Hit>,
    /// Every match, not only the hits fetched.
    pub count: usize,
    /// Which embedder answered the semantic side of the query shown, if it had one.
    pub embedder: Option<String>,
    pub error: Option<String>,
    pub selected: usize,
    pub scroll: usize,
    pub loaded: bool,
    /// The open event: its id and raw record lines.
    pub event: Option<(String, Vec<String>)>,
    pub event_scroll: usize,
    /// Queries run, oldest first (`up`/`down` in the query line).
    pub history: Vec<String>,
}

/// The whole console.
#[derive(Debug)]
pub struct Model {
    pub actor: String,
    pub readonly: bool,
    pub tab: Tab,
    pub focus: Focus,
    pub queue: Queue,
    pub detail: Option<Detail>,
    pub cases: Cases,
    pub case: Option<CaseView>,
    pub matrix: Matrix,
    pub hunt: Hunt,
    pub popup: Option<Popup>,
    pub input: Option<Input>,
    pub editor: Option<Editor>,
    pub flash: Option<Flash>,
    pub flash_for: Duration,
    pub pending_keys: Vec<KeyChord>,
    pub status: StatusCounts,
    pub data_version: i64,
    pub last_refresh: Option<Timestamp>,
    /// The wall clock as of the last tick (drawing reads this, never the clock itself).
    pub now: Timestamp,
    /// The last disposition, for `.`.
    pub last_op: Option<Op>,
    /// Terminal size, and the rows the list shows (set by the runtime from the layout).
    pub width: u16,
    pub height: u16,
    pub page_size: usize,
    pub next_req: ReqId,
    pub latest: Latest,
    /// Requests sent and not yet answered.
    pub in_flight: usize,
    pub palette_history: Vec<String>,
    pub quit: bool,
    /// The first loads were sent (the loop can be entered again, as tests do).
    pub started: bool,
    /// Something changed since the last draw.
    pub dirty: bool,
}

impl Model {
    pub fn new(actor: &str, readonly: bool, page_size: usize, flash_for: Duration) -> Model {
        Model {
            actor: actor.to_string(),
            readonly,
            tab: Tab::Queue,
            focus: Focus::List,
            queue: Queue {
                filter_text: super::filter::DEFAULT.to_string(),
                ..Queue::default()
            },
            detail: None,
            cases: Cases::default(),
            case: None,
            matrix: Matrix::default(),
            hunt: Hunt::default(),
            popup: None,
            input: None,
            editor: None,
            flash: None,
            flash_for,
            pending_keys: Vec::new(),
            status: StatusCounts::default(),
            data_version: 0,
            last_refresh: None,
            now: Timestamp::now(),
            last_op: None,
            width: 80,
            height: 24,
            page_size: page_size.max(20),
            next_req: 1,
            latest: Latest::default(),
            in_flight: 0,
            palette_history: Vec::new(),
            quit: false,
            started: false,
            dirty: true,
        }
    }

    /// Two panes side by side (wide terminals) or one at a time (80x24).
    pub fn wide(&self) -> bool {
        self.width >= 160 && self.height >= 30
    }

    /// The rows a list shows at the current size (tabs, header, hint and status lines off).
    pub fn list_height(&self) -> usize {
        // Tabs, pane title, table header, hints and status bar.
        const CHROME: usize = 5;
        (self.height as usize).saturating_sub(CHROME).max(1)
    }

    /// Which keymap section has the keys now.
    pub fn pane(&self) -> Pane {
        if self.editor.is_some() {
            Pane::Editor
        } else if self.input.is_some() {
            Pane::Input
        } else if self.popup.is_some() {
            Pane::Popup
        } else {
            match (self.tab, self.focus) {
                (Tab::Queue, Focus::List) => Pane::Queue,
                (Tab::Queue, Focus::Detail) => Pane::Detail,
                (Tab::Cases, Focus::List) => Pane::Cases,
                (Tab::Cases, Focus::Detail) => Pane::Case,
                (Tab::Attack, _) => Pane::Matrix,
                (Tab::Hunt, _) => Pane::Hunt,
                (Tab::Chat, _) => Pane::Chat,
            }
        }
    }

    /// The conditions that hold for conditional bindings.
    pub fn conditions(&self) -> Vec<Condition> {
        let mut c = Vec::new();
        if self.pane() == Pane::Queue {
            if self.queue.visual_anchor.is_some() {
                c.push(Condition::Visual);
            }
            if self.queue.group_by.is_some() {
                c.push(Condition::Grouped);
            }
            if !self.queue.marks.is_empty() {
                c.push(Condition::Marked);
            }
        }
        c
    }

    /// A fresh request id.
    pub fn req(&mut self) -> ReqId {
        self.next_req += 1;
        self.next_req
    }

    pub fn flash(&mut self, text: impl Into<String>, error: bool) {
        self.flash = Some(Flash {
            text: text.into(),
            error,
            until: Instant::now() + self.flash_for,
        });
        self.dirty = true;
    }
}
