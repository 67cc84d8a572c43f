//! The per-record step shared by every intake (files, streams, webhooks): what one normalised
//! record adds to the batch being built, Sigma detection included, so that every intake raises
//! the same alerts for the same records.

use crate::detect::Detector;
use crate::normalize::Record;
use crate::store::Batch;

/// Counts of what [`add`] put into the batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Added {
    pub events: u64,
    /// Alerts the source itself carried (Wazuh, Splunk, Suricata `alert`...).
    pub alerts: u64,
    /// Alerts raised by detection on the record's events.
    pub detections: u64,
}

/// Adds one normalised record (its events, the alert it carries, and the alerts `detector`
/// raises on its events) to `batch`.
pub fn add(batch: &mut Batch, record: Record, detector: Option<&Detector>) -> Added {
    let mut added = Added {
        events: record.events.len() as u64,
        alerts: u64::from(record.alert.is_some()),
        detections: 0,
    };
    if let Some(alert) = record.alert {
        batch.alerts.push(alert);
    }
    if let Some(detector) = detector {
        let raised = detector.detect_all(&record.events);
        added.detections = raised.len() as u64;
        batch.alerts.extend(raised);
    }
    batch.events.extend(record.events);
    added
}
