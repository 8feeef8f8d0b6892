//! An invocation's custom metrics (`crate::emf`): its objects' records, unpriced calls and
//! the rows read per second.

use super::handler::EventReport;

impl EventReport {
    /// Records the invocation's custom metrics: its objects' records (kind `s3_objects`),
    /// unpriced calls, and the rows read per second over `elapsed`.
    pub fn record_metrics(&self, elapsed: std::time::Duration) {
        let reports = self.objects.iter().filter_map(|o| o.report.as_ref());
        let (mut read, mut accepted, mut duplicate, mut rejected, mut unpriced) = (0, 0, 0, 0, 0);
        for r in reports {
            read += r.rows_read;
            accepted += r.inserted + r.updated;
            duplicate += r.duplicates;
            rejected += r.rejected;
            unpriced += r.unpriced_rows;
        }
        crate::emf::records(
            "s3_objects",
            accepted as usize,
            duplicate as usize,
            rejected as usize,
        );
        metrics::counter!(crate::emf::name::UNPRICED).increment(unpriced);
        if read > 0 && !elapsed.is_zero() {
            metrics::gauge!(crate::emf::name::ROWS_PER_SECOND)
                .set(read as f64 / elapsed.as_secs_f64());
        }
    }
}
