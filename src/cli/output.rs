//! Human and JSON output for the command line. JSON is the documented, stable form; tables are
//! for people and may change.

use std::io::Write;

use jiff::Timestamp;
use serde::Serialize;

use crate::domain::{Alert, Case, Event, short_id};
use crate::ingest::Summary;
use crate::store::{AuditEntry, CaseDetail, Rejected, Stats};

/// Prints a value as pretty JSON on stdout.
pub fn json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

fn when(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

pub fn cut(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

pub fn alerts_table(alerts: &[Alert], total: i64) {
    let row = |c: [&str; 9]| {
        println!(
            "{:<10} {:<8} {:<19} {:<12} {:<5} {:<40} {:<16} {:<15} {}",
            c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]
        )
    };
    row([
        "ID",
        "SEVERITY",
        "LAST SEEN",
        "STATUS",
        "COUNT",
        "RULE",
        "HOST",
        "SOURCE IP",
        "TECHNIQUES",
    ]);
    for a in alerts {
        row([
            short_id(&a.id),
            a.severity.as_str(),
            &when(a.last_seen),
            a.status.as_str(),
            &a.count.to_string(),
            &cut(&a.rule.name, 40),
            &cut(
                a.entities.hosts.first().map(String::as_str).unwrap_or("-"),
                16,
            ),
            a.entities.ips.first().map(String::as_str).unwrap_or("-"),
            &a.techniques.join(","),
        ]);
    }
    println!("({} of {total} alerts)", alerts.len());
}

pub fn alert_detail(a: &Alert, events: &[Event], history: &[AuditEntry]) {
    println!("alert      {}", a.id);
    println!(
        "rule       {} [{} {}]",
        a.rule.name, a.rule.source, a.rule.id
    );
    println!(
        "severity   {}    status {}    count {}",
        a.severity, a.status, a.count
    );
    if let Some(v) = a.verdict {
        println!(
            "verdict    {v}: {}",
            a.verdict_reason.as_deref().unwrap_or("")
        );
    }
    println!("assignee   {}", a.assignee.as_deref().unwrap_or("-"));
    println!("seen       {} .. {}", when(a.first_seen), when(a.last_seen));
    if let Some(c) = &a.case_id {
        println!("case       {c}");
    }
    if !a.summary.is_empty() {
        println!("summary    {}", a.summary);
    }
    for t in &a.techniques {
        println!("technique  {}", crate::attack::Catalogue::get().describe(t));
    }
    for (kind, value) in a.entities.pairs() {
        println!("  {kind:<8} {value}");
    }
    println!("\nevents ({} of {}):", events.len(), a.count);
    for e in events {
        println!(
            "  {} {} [{}] {}",
            short_id(&e.id),
            when(e.timestamp),
            e.dataset,
            cut(&e.message, 100)
        );
    }
    println!("\nhistory:");
    for h in history {
        println!(
            "  {} {:<10} {:<14} {}",
            when(h.at),
            h.actor,
            h.action,
            h.after.as_ref().map(|v| v.to_string()).unwrap_or_default()
        );
    }
}

pub fn event_text(e: &Event) {
    println!("event      {}", e.id);
    println!(
        "time       {}  (ingested {})",
        when(e.timestamp),
        when(e.ingested_at)
    );
    println!(
        "dataset    {} ({})  source {}",
        e.dataset, e.format, e.source
    );
    let opt = |label: &str, v: Option<String>| {
        if let Some(v) = v {
            println!("{label:<10} {v}");
        }
    };
    opt("host", e.host.clone());
    opt("user", e.user.clone());
    opt(
        "src",
        e.src_ip.map(|ip| {
            format!(
                "{ip}{}",
                e.src_port.map(|p| format!(":{p}")).unwrap_or_default()
            )
        }),
    );
    opt(
        "dst",
        e.dst_ip.map(|ip| {
            format!(
                "{ip}{}",
                e.dst_port.map(|p| format!(":{p}")).unwrap_or_default()
            )
        }),
    );
    opt("process", e.process.clone());
    opt("command", e.command_line.clone());
    opt("action", e.action.clone());
    opt("outcome", e.outcome.map(|o| o.to_string()));
    println!("message    {}", e.message);
    println!("raw:\n{}", e.raw);
}

pub fn cases_table(cases: &[Case]) {
    let row = |c: [&str; 7]| {
        println!(
            "{:<15} {:<11} {:<3} {:<8} {:<12} {:<6} {}",
            c[0], c[1], c[2], c[3], c[4], c[5], c[6]
        )
    };
    row([
        "ID", "STATUS", "PRI", "SEVERITY", "ASSIGNEE", "ALERTS", "TITLE",
    ]);
    for c in cases {
        row([
            &c.id,
            c.status.as_str(),
            c.priority.as_str(),
            c.severity.as_str(),
            &cut(c.assignee.as_deref().unwrap_or("-"), 12),
            &c.alert_ids.len().to_string(),
            &c.title,
        ]);
    }
}

pub fn case_detail(d: &CaseDetail) {
    let c = &d.case;
    println!("{}  {}", c.id, c.title);
    println!(
        "status {}   priority {}   severity {}   assignee {}",
        c.status,
        c.priority,
        c.severity,
        c.assignee.as_deref().unwrap_or("-")
    );
    println!("created {} by {}", when(c.created_at), c.created_by);
    if !c.description.is_empty() {
        println!("\n{}", c.description);
    }
    if !c.techniques.is_empty() {
        println!("techniques {}", c.techniques.join(", "));
    }
    println!("\nalerts ({}):", c.alert_ids.len());
    for a in &c.alert_ids {
        println!("  {}", short_id(a));
    }
    println!("\nobservables ({}):", c.observables.len());
    for o in &c.observables {
        println!("  {:<8} {}", o.kind, o.value);
    }
    println!("\ntimeline:");
    for a in &d.activities {
        println!("  {} {:<10} {:<15} {}", when(a.at), a.actor, a.kind, a.body);
    }
}

pub fn rejects_table(rows: &[Rejected]) {
    for r in rows {
        println!(
            "{}:{}  {}\n    {}",
            r.source,
            r.line.map(|l| l.to_string()).unwrap_or_else(|| "-".into()),
            r.reason,
            cut(&r.raw, 120)
        );
    }
    println!("({} rejected records)", rows.len());
}

pub fn stats_text(s: &Stats) {
    println!("events    {}", s.events);
    println!("alerts    {} ({} open)", s.alerts, s.alerts_open);
    println!("cases     {} ({} open)", s.cases, s.cases_open);
    println!("rejected  {}", s.rejected);
    println!("audit     {}", s.audit);
    if let Some(t) = s.newest_event {
        println!("newest    {}", when(t));
    }
    for (sev, n) in &s.alerts_by_severity {
        println!("  alerts {sev:<9} {n}");
    }
    for (ds, n) in &s.datasets {
        println!("  events {ds:<20} {n}");
    }
}

pub fn ingest_summary(s: &Summary) {
    println!(
        "{} inputs, {} records in {:.2}s: {} events ({} new), {} source alerts + {} detections ({} new alerts, {} folded into existing), {} rejected ({} new)",
        s.inputs,
        s.records,
        s.seconds,
        s.events,
        s.store.new_events,
        s.alerts,
        s.detections,
        s.store.new_alerts,
        s.store.folded_alerts,
        s.rejected,
        s.store.new_rejected
    );
    for (format, c) in &s.formats {
        println!(
            "  {format:<14} {:>8} events {:>6} alerts",
            c.events, c.alerts
        );
    }
    for (reason, n) in &s.skipped {
        println!("  skipped {n} ({reason})");
    }
    if s.blank_lines > 0 {
        println!("  {} blank lines", s.blank_lines);
    }
    for r in &s.rejects {
        println!("  rejected {}:{}: {}", r.source, r.line, r.reason);
    }
    if s.rejected as usize > s.rejects.len() {
        println!(
            "  ... {} more: tocsin rejects list",
            s.rejected as usize - s.rejects.len()
        );
    }
    for f in &s.skipped_files {
        println!("  not a log, left alone: {f}");
    }
    for e in &s.input_errors {
        println!("  cannot read {}: {}", e.input, e.error);
    }
}
