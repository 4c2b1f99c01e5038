//! Horizontal bar charts as plain geometry, which the HTML template draws as inline SVG
//! (no script, no network: the page opens offline and prints as it shows).

/// Width of the label column, the bar area and the value column, in SVG units.
const LABEL_WIDTH: f64 = 210.0;
const BAR_AREA: f64 = 470.0;
const VALUE_WIDTH: f64 = 150.0;
const ROW: f64 = 24.0;
const TOP: f64 = 8.0;
/// Room under the rows for the axis labels.
const AXIS: f64 = 22.0;

pub struct Chart {
    pub width: u32,
    pub height: u32,
    pub rows: Vec<Row>,
    pub ticks: Vec<Tick>,
    /// The y where the axis labels sit.
    pub axis_y: f64,
    pub bar_left: f64,
    pub bar_bottom: f64,
}

pub struct Row {
    pub label: String,
    /// Baseline of the row's texts.
    pub text_y: f64,
    pub bars: Vec<Bar>,
    pub marker: Option<Marker>,
    pub value: String,
    pub value_x: f64,
    /// A divider row (`…`) where a long chart leaves units out.
    pub gap: bool,
}

pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    /// A CSS class of the template: the bar's colour.
    pub class: &'static str,
    /// What a hover shows.
    pub title: String,
}

/// A target line across a row.
pub struct Marker {
    pub x: f64,
    pub y1: f64,
    pub y2: f64,
}

pub struct Tick {
    pub x: f64,
    pub label: String,
}

/// A bar of a row: its value (on the chart's scale), colour class and hover text.
pub struct Value {
    pub value: f64,
    pub class: &'static str,
    pub title: String,
}

/// The least of 1, 2, 2.5, 5 × 10^k that is at least `v`: an axis end whose ticks read well.
pub fn nice_ceiling(v: f64) -> f64 {
    if v <= 1.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|candidate| *candidate >= v)
        .unwrap_or(10.0 * magnitude)
}

/// Builds a chart with a scale from 0 to `max` and `ticks` evenly spaced axis labels.
pub struct Builder {
    max: f64,
    ticks: Vec<(f64, String)>,
    rows: Vec<(String, Vec<Value>, Option<f64>, String)>,
}

impl Builder {
    pub fn new(max: f64, ticks: usize, format: impl Fn(f64) -> String) -> Self {
        let max = if max > 0.0 { max } else { 1.0 };
        let ticks = (0..=ticks)
            .map(|i| {
                let v = max * i as f64 / ticks as f64;
                (v, format(v))
            })
            .collect();
        Builder {
            max,
            ticks,
            rows: Vec::new(),
        }
    }

    /// A row: one bar per value (drawn one under the other), an optional target marker,
    /// and the text after the bars.
    pub fn row(
        &mut self,
        label: impl Into<String>,
        values: Vec<Value>,
        marker: Option<f64>,
        value: impl Into<String>,
    ) -> &mut Self {
        self.rows.push((label.into(), values, marker, value.into()));
        self
    }

    /// A divider row.
    pub fn gap(&mut self) -> &mut Self {
        self.rows
            .push((String::new(), Vec::new(), None, String::new()));
        self
    }

    pub fn build(self) -> Chart {
        let scale = |v: f64| LABEL_WIDTH + BAR_AREA * (v.clamp(0.0, self.max) / self.max);
        let rows: Vec<Row> = self
            .rows
            .into_iter()
            .enumerate()
            .map(|(i, (label, values, marker, value))| {
                let top = TOP + ROW * i as f64;
                let gap = values.is_empty() && label.is_empty();
                let n = values.len().max(1) as f64;
                let height = (ROW - 6.0) / n;
                let bars = values
                    .into_iter()
                    .enumerate()
                    .map(|(j, v)| Bar {
                        x: LABEL_WIDTH,
                        y: top + 3.0 + height * j as f64,
                        width: (scale(v.value) - LABEL_WIDTH).max(if v.value > 0.0 {
                            1.0
                        } else {
                            0.0
                        }),
                        height: height - 1.0,
                        class: v.class,
                        title: v.title,
                    })
                    .collect();
                Row {
                    label: if gap { "⋯".to_string() } else { label },
                    text_y: top + ROW / 2.0 + 4.5,
                    bars,
                    marker: marker.map(|m| Marker {
                        x: scale(m),
                        y1: top + 1.0,
                        y2: top + ROW - 1.0,
                    }),
                    value,
                    value_x: LABEL_WIDTH + BAR_AREA + 8.0,
                    gap,
                }
            })
            .collect();
        let bar_bottom = TOP + ROW * rows.len() as f64;
        Chart {
            width: (LABEL_WIDTH + BAR_AREA + VALUE_WIDTH) as u32,
            height: (bar_bottom + AXIS + 4.0) as u32,
            ticks: self
                .ticks
                .into_iter()
                .map(|(v, label)| Tick { x: scale(v), label })
                .collect(),
            axis_y: bar_bottom + 16.0,
            bar_left: LABEL_WIDTH,
            bar_bottom,
            rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_ends_are_round() {
        assert_eq!(nice_ceiling(1922.0), 2000.0);
        assert_eq!(nice_ceiling(160.0), 200.0);
        assert_eq!(nice_ceiling(120.0), 200.0);
        assert_eq!(nice_ceiling(21.0), 25.0);
        assert_eq!(nice_ceiling(3.0), 5.0);
        assert_eq!(nice_ceiling(100.0), 100.0);
        assert_eq!(nice_ceiling(0.0), 1.0);
    }

    #[test]
    fn bars_are_to_scale_and_rows_stack() {
        let mut b = Builder::new(100.0, 4, |v| format!("{v}"));
        let bar = |value| Value {
            value,
            class: "score",
            title: String::new(),
        };
        b.row("甲", vec![bar(50.0)], Some(90.0), "50.0").gap().row(
            "乙",
            vec![bar(100.0), bar(250.0)],
            None,
            "",
        );
        let chart = b.build();
        assert_eq!(chart.rows.len(), 3);
        assert_eq!(chart.rows[0].bars[0].width, BAR_AREA / 2.0);
        assert_eq!(
            chart.rows[0].marker.as_ref().unwrap().x,
            LABEL_WIDTH + BAR_AREA * 0.9
        );
        assert!(chart.rows[1].gap && chart.rows[1].bars.is_empty());
        // Two bars share a row; a value past the scale is clipped to it.
        assert_eq!(chart.rows[2].bars[1].width, BAR_AREA);
        assert!(chart.rows[2].bars[1].y > chart.rows[2].bars[0].y);
        assert_eq!(chart.ticks.len(), 5);
        assert_eq!(chart.ticks[4].x, LABEL_WIDTH + BAR_AREA);
        assert!(chart.height as f64 > chart.bar_bottom);
    }
}
