//! The Reports tab's chart: grouped bars, one group a month and one bar a series,
//! laid out here in SVG user units and drawn by the template (`admin/reports.html`)
//! with no script. The chart is an image with a title and a description; the
//! table under it holds the same figures for anyone who cannot see it.

use sealpost_domain::ports::MonthCounts;

/// The five series, in the order of the table's columns: message key and colour
/// (Okabe–Ito, told apart also by people with colour-blindness).
pub const SERIES: [(&str, &str); 5] = [
    ("reports-col-sent", "#0072B2"),
    ("reports-col-notified", "#E69F00"),
    ("reports-col-opened", "#009E73"),
    ("reports-col-registrations", "#CC79A7"),
    ("reports-col-activations", "#56B4E9"),
];

/// The figures of one month in [`SERIES`] order.
pub fn cells(counts: &MonthCounts) -> [u64; 5] {
    [
        counts.sent,
        counts.notified,
        counts.opened,
        counts.registrations,
        counts.activations,
    ]
}

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 40.0;
/// Grid lines above the baseline.
const STEPS: u64 = 4;

/// One bar.
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub fill: &'static str,
    /// "März 2026: Messages sent 12", for pointers (the bar's `<title>`).
    pub label: String,
}

/// A horizontal grid line with its value.
pub struct Tick {
    pub y: f64,
    pub label: String,
}

/// A month's name under its group of bars.
pub struct AxisLabel {
    pub x: f64,
    pub label: String,
}

/// Everything the template draws.
pub struct Chart {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub baseline: f64,
    pub label_y: f64,
    pub bars: Vec<Bar>,
    pub ticks: Vec<Tick>,
    pub labels: Vec<AxisLabel>,
}

/// One month as the chart takes it: the short name, the full name (for the bar
/// labels) and the figures.
pub struct ChartMonth {
    pub short: String,
    pub long: String,
    pub cells: [u64; 5],
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// The smallest of 1, 2, 5, 10, 20, 50… that is at least `at_least`.
fn nice_step(at_least: u64) -> u64 {
    let mut magnitude: u64 = 1;
    loop {
        for factor in [1, 2, 5] {
            let step = factor * magnitude;
            if step >= at_least {
                return step;
            }
        }
        magnitude = magnitude.saturating_mul(10);
        if magnitude == u64::MAX {
            return u64::MAX / STEPS;
        }
    }
}

/// Lays out the chart; `series` are the series' names in [`SERIES`] order and
/// `bar_label` writes one bar's label from month, series name and figure.
pub fn layout(months: &[ChartMonth], series: &[String; 5], bar_label: impl Fn(&str, &str, u64) -> String) -> Chart {
    let max = months.iter().flat_map(|m| m.cells).max().unwrap_or(0);
    let step = nice_step(max.div_ceil(STEPS).max(1));
    let top_value = step.saturating_mul(STEPS);
    let baseline = HEIGHT - BOTTOM;
    let plot_height = baseline - TOP;
    let plot_width = WIDTH - LEFT - RIGHT;
    let group = plot_width / months.len().max(1) as f64;
    let bar_width = group * 0.8 / SERIES.len() as f64;
    let y_of = |value: u64| baseline - plot_height * (value as f64 / top_value as f64);
    let mut bars = Vec::new();
    let mut labels = Vec::new();
    for (i, month) in months.iter().enumerate() {
        let group_left = LEFT + group * i as f64 + group * 0.1;
        labels.push(AxisLabel {
            x: round(LEFT + group * (i as f64 + 0.5)),
            label: month.short.clone(),
        });
        for (s, (&(_, fill), value)) in SERIES.iter().zip(month.cells).enumerate() {
            if value == 0 {
                continue;
            }
            let y = y_of(value);
            bars.push(Bar {
                x: round(group_left + bar_width * s as f64),
                y: round(y),
                width: round(bar_width),
                height: round(baseline - y),
                fill,
                label: bar_label(&month.long, &series[s], value),
            });
        }
    }
    let ticks = (0..=STEPS)
        .map(|i| Tick {
            y: round(y_of(step * i)),
            label: (step * i).to_string(),
        })
        .collect();
    Chart {
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: WIDTH - RIGHT,
        baseline,
        label_y: baseline + 18.0,
        bars,
        ticks,
        labels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round_and_cover_the_largest_figure() {
        assert_eq!(nice_step(1), 1);
        assert_eq!(nice_step(3), 5);
        assert_eq!(nice_step(7), 10);
        assert_eq!(nice_step(2_501), 5_000);
    }

    #[test]
    fn the_tallest_bar_reaches_its_value_and_empty_figures_draw_nothing() {
        let months = vec![
            ChartMonth {
                short: "Jan".into(),
                long: "January 2026".into(),
                cells: [8, 0, 0, 0, 0],
            },
            ChartMonth {
                short: "Feb".into(),
                long: "February 2026".into(),
                cells: [4, 2, 0, 0, 1],
            },
        ];
        let names = SERIES.map(|(k, _)| k.to_owned());
        let chart = layout(&months, &names, |m, s, n| format!("{m}: {s} {n}"));
        assert_eq!(chart.bars.len(), 4);
        // 8 fills the chart: four steps of 2.
        let tallest = &chart.bars[0];
        assert_eq!(tallest.label, "January 2026: reports-col-sent 8");
        assert_eq!(tallest.y + tallest.height, chart.baseline);
        assert_eq!(chart.ticks.last().map(|t| t.label.as_str()), Some("8"));
        assert_eq!(tallest.y, chart.ticks[4].y);
    }
}
