//! The bench's outputs: a table on stdout, `target/bench/report.json` and an SVG chart of
//! list latency against the number of leads.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::load::Measurement;

/// One measured scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// What was measured, e.g. `get lead by id`.
    pub scenario: String,
    /// `bare axum`, `sqlite` or `postgres`.
    pub backend: String,
    /// `none`, `jwt` or `basic`.
    pub auth: String,
    /// Leads in the project, where it matters.
    pub leads: Option<u64>,
    /// The numbers.
    pub measurement: Measurement,
    /// The server's peak resident memory during the scenario, in MiB.
    pub peak_rss_mib: Option<f64>,
}

/// A target and how the run compares with it.
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    /// What is compared, e.g. `get by id (JWT) / bare axum, req/s`.
    pub name: String,
    /// The measured ratio.
    pub value: f64,
    /// The target, e.g. `>= 0.70`.
    pub target: String,
    /// Whether the target is met.
    pub met: bool,
}

impl Ratio {
    /// A ratio that must be at least `minimum`.
    pub fn at_least(name: &str, value: f64, minimum: f64) -> Self {
        Self {
            name: name.to_owned(),
            value,
            target: format!(">= {minimum:.2}"),
            met: value >= minimum,
        }
    }

    /// A ratio shown for reference, with no target.
    pub fn reference(name: &str, value: f64) -> Self {
        Self {
            name: name.to_owned(),
            value,
            target: "-".to_owned(),
            met: true,
        }
    }

    /// A ratio that must be at most `maximum`.
    pub fn at_most(name: &str, value: f64, maximum: f64) -> Self {
        Self {
            name: name.to_owned(),
            value,
            target: format!("<= {maximum:.2}"),
            met: value <= maximum,
        }
    }
}

/// Everything a bench run measured.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// The scenarios.
    pub rows: Vec<Row>,
    /// The ratios against targets.
    pub ratios: Vec<Ratio>,
}

impl Report {
    /// The table, as printed on stdout.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<38} {:<10} {:<6} {:>9} {:>11} {:>9} {:>9} {:>8} {:>9}",
            "scenario",
            "backend",
            "auth",
            "leads",
            "req/s",
            "p50 ms",
            "p99 ms",
            "errors",
            "RSS MiB"
        );
        for row in &self.rows {
            let m = &row.measurement;
            let _ = writeln!(
                out,
                "{:<38} {:<10} {:<6} {:>9} {:>11.0} {:>9.2} {:>9.2} {:>8} {:>9}",
                row.scenario,
                row.backend,
                row.auth,
                row.leads.map_or_else(|| "-".to_owned(), |n| n.to_string()),
                m.requests_per_second,
                m.p50_ms,
                m.p99_ms,
                m.errors,
                row.peak_rss_mib
                    .map_or_else(|| "-".to_owned(), |r| format!("{r:.1}")),
            );
        }
        if !self.ratios.is_empty() {
            let _ = writeln!(out, "\n{:<58} {:>8} {:>9}  met", "ratio", "value", "target");
            for ratio in &self.ratios {
                let _ = writeln!(
                    out,
                    "{:<58} {:>8.2} {:>9}  {}",
                    ratio.name,
                    ratio.value,
                    ratio.target,
                    match (ratio.target.as_str(), ratio.met) {
                        ("-", _) => "-",
                        (_, true) => "yes",
                        (_, false) => "NO",
                    }
                );
            }
        }
        out
    }

    /// Writes `report.json` and `list-latency.svg` into `dir`.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(dir.join("report.json"), json)?;
        std::fs::write(dir.join("list-latency.svg"), self.chart("list first page"))?;
        Ok(())
    }

    /// A line chart of p50 and p99 of `scenario` against lead count, one line per backend.
    pub fn chart(&self, scenario: &str) -> String {
        let points: Vec<&Row> = self
            .rows
            .iter()
            .filter(|r| r.scenario == scenario && r.leads.is_some())
            .collect();
        let (width, height, margin) = (640.0_f64, 360.0_f64, 56.0_f64);
        let max_leads = points
            .iter()
            .filter_map(|r| r.leads)
            .max()
            .unwrap_or(1)
            .max(10) as f64;
        let max_ms = points
            .iter()
            .map(|r| r.measurement.p99_ms)
            .fold(1.0_f64, f64::max);
        // Lead counts span decades: a log scale keeps 10k and 1M apart.
        let x = |leads: u64| {
            let span = max_leads.log10().max(1.0);
            margin + (leads.max(1) as f64).log10() / span * (width - 2.0 * margin)
        };
        let y = |ms: f64| height - margin - ms / max_ms * (height - 2.0 * margin);
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
             <text x=\"{margin}\" y=\"24\" font-size=\"14\">{scenario}: latency (ms) against leads in the project</text>\n\
             <line x1=\"{margin}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"black\"/>\n\
             <line x1=\"{margin}\" y1=\"{margin}\" x2=\"{margin}\" y2=\"{b}\" stroke=\"black\"/>\n\
             <text x=\"8\" y=\"{margin}\">{max_ms:.1}</text>\n",
            b = height - margin,
            r = width - margin,
        );
        let colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
        let mut backends: Vec<&str> = points.iter().map(|r| r.backend.as_str()).collect();
        backends.dedup();
        for (i, backend) in backends.iter().enumerate() {
            let colour = colours[i % colours.len()];
            let mut series: Vec<&&Row> = points.iter().filter(|r| r.backend == *backend).collect();
            series.sort_by_key(|r| r.leads);
            for (label, dash, pick) in [
                (
                    "p50",
                    "",
                    Box::new(|m: &Measurement| m.p50_ms) as Box<dyn Fn(&Measurement) -> f64>,
                ),
                (
                    "p99",
                    " stroke-dasharray=\"4 3\"",
                    Box::new(|m: &Measurement| m.p99_ms),
                ),
            ] {
                let path: Vec<String> = series
                    .iter()
                    .map(|r| {
                        format!(
                            "{:.1},{:.1}",
                            x(r.leads.unwrap_or(1)),
                            y(pick(&r.measurement))
                        )
                    })
                    .collect();
                let _ = writeln!(
                    svg,
                    "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash} points=\"{}\"/>",
                    path.join(" ")
                );
                if let Some(last) = series.last() {
                    let _ = writeln!(
                        svg,
                        "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{colour}\">{backend} {label}</text>",
                        x(last.leads.unwrap_or(1)) - 90.0,
                        y(pick(&last.measurement)) - 6.0
                    );
                }
            }
            for r in &series {
                let _ = writeln!(
                    svg,
                    "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                    x(r.leads.unwrap_or(1)),
                    height - margin + 16.0,
                    r.leads.unwrap_or(0)
                );
            }
        }
        svg.push_str("</svg>\n");
        svg
    }
}
