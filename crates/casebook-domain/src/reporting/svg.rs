//! A table drawn as SVG, written here rather than taken from a chart library: horizontal bars
//! (side by side or stacked) and lines. The drawing is an image for screen readers
//! (`role="img"` with a `<title>`); its numbers are in the table shown beside it. Colours are
//! presentation attributes, so the drawing needs no stylesheet and prints as it shows (also
//! inside a mail or a PDF report).

use std::fmt::Write;

use super::table::{ChartKind, Shown};

/// The colours of the series (Okabe–Ito, told apart with colour blindness).
const PALETTE: [&str; 8] = [
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000",
];

const WIDTH: f64 = 640.0;
const LABELS: f64 = 190.0;
const BAND: f64 = 24.0;
const TOP: f64 = 30.0;
const PLOT_HEIGHT: f64 = 220.0;

/// What to draw: the words of a table and which of its columns are series.
pub struct Drawing<'a> {
    /// A prefix for the ids in the drawing, unique on its page.
    pub id: &'a str,
    /// How.
    pub chart: ChartKind,
    /// The caption, as the drawing's title.
    pub caption: &'a str,
    /// The headings of the columns.
    pub headings: &'a [String],
    /// Which columns are series.
    pub plotted: &'a [bool],
    /// How many first columns label a row.
    pub label_columns: usize,
    /// The rows.
    pub rows: &'a [Vec<Shown>],
}

/// Escapes text for XML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `max` (1 for nothing).
pub fn nice_max(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|v| *v >= max - 1e-9)
        .unwrap_or(10.0 * magnitude)
}

/// How many steps the axis from 0 to `scale_max` is cut into: 5 for 1 or 5 × 10ⁿ, 4 for
/// 2 × 10ⁿ, and no finer than whole numbers when every value is one.
pub fn steps(scale_max: f64, whole: bool) -> u32 {
    let magnitude = 10f64.powf(scale_max.log10().floor());
    let mantissa = (scale_max / magnitude).round() as u32;
    let n = if mantissa == 2 { 4 } else { 5 };
    if whole && scale_max < f64::from(n) {
        (scale_max.round() as u32).max(1)
    } else {
        n
    }
}

fn number(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round() as i64)
    } else {
        format!("{x:.1}")
    }
}

/// About how wide a text is at 12 px: Chinese characters are square, Latin ones half that.
fn text_width(text: &str) -> f64 {
    text.chars()
        .map(|c| if c.is_ascii() { 7.0 } else { 12.0 })
        .sum()
}

/// Cuts a label to about `max` characters.
fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

impl Drawing<'_> {
    fn series(&self) -> Vec<usize> {
        (0..self.headings.len())
            .filter(|i| self.plotted.get(*i).copied().unwrap_or(false))
            .collect()
    }

    fn row_label(&self, row: &[Shown]) -> String {
        row.iter()
            .take(self.label_columns)
            .map(|c| c.text.as_str())
            .collect::<Vec<_>>()
            .join(" · ")
    }

    fn value(row: &[Shown], col: usize) -> f64 {
        row.get(col).and_then(|c| c.value).unwrap_or(0.0)
    }

    /// Whether every plotted value is a whole number (counts).
    fn whole(&self, series: &[usize]) -> bool {
        self.rows.iter().all(|r| {
            series
                .iter()
                .all(|c| Self::value(r, *c).fract().abs() < 1e-9)
        })
    }

    /// The SVG, or `None` for a table without rows or series.
    pub fn svg(&self) -> Option<String> {
        let series = self.series();
        if self.rows.is_empty() || series.is_empty() {
            return None;
        }
        let body = match self.chart {
            ChartKind::Line => self.lines(&series),
            ChartKind::Bar | ChartKind::StackedBar => self.bars(&series),
        };
        let (height, inner) = body;
        let mut out = String::new();
        let _ = write!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="{id}-title" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" font-size="12" font-family="sans-serif"><title id="{id}-title">{title}</title>"#,
            id = escape(self.id),
            title = escape(self.caption),
        );
        out.push_str(&self.legend(&series));
        out.push_str(&inner);
        out.push_str("</svg>");
        Some(out)
    }

    fn legend(&self, series: &[usize]) -> String {
        let mut out = String::new();
        let mut x = 0.0;
        for (i, col) in series.iter().enumerate() {
            let name = short(&self.headings[*col], 16);
            let _ = write!(
                out,
                r#"<rect x="{x}" y="6" width="12" height="12" fill="{c}"/><text x="{tx}" y="16">{t}</text>"#,
                c = PALETTE[i % PALETTE.len()],
                tx = x + 16.0,
                t = escape(&name),
            );
            x += 26.0 + text_width(&name);
        }
        out
    }

    fn bars(&self, series: &[usize]) -> (f64, String) {
        let stacked = self.chart == ChartKind::StackedBar;
        let max = self
            .rows
            .iter()
            .map(|r| {
                let values = series.iter().map(|c| Self::value(r, *c));
                if stacked {
                    values.sum()
                } else {
                    values.fold(0.0, f64::max)
                }
            })
            .fold(0.0, f64::max);
        let scale_max = nice_max(max);
        let plot = WIDTH - LABELS - 50.0;
        let per_row = if stacked {
            BAND
        } else {
            BAND.max(8.0 * series.len() as f64 + 8.0)
        };
        let height = TOP + per_row * self.rows.len() as f64 + 24.0;
        let mut out = String::new();
        let axis_y = TOP + per_row * self.rows.len() as f64;
        let n = steps(scale_max, self.whole(series));
        for tick in 0..=n {
            let v = scale_max * f64::from(tick) / f64::from(n);
            let x = LABELS + plot * f64::from(tick) / f64::from(n);
            let _ = write!(
                out,
                r##"<line x1="{x}" y1="{TOP}" x2="{x}" y2="{axis_y}" stroke="#dddddd"/><text x="{x}" y="{ty}" text-anchor="middle">{v}</text>"##,
                ty = axis_y + 16.0,
                v = number(v),
            );
        }
        for (r, row) in self.rows.iter().enumerate() {
            let y = TOP + per_row * r as f64;
            let _ = write!(
                out,
                r#"<text x="{lx}" y="{ty}" text-anchor="end">{t}</text>"#,
                lx = LABELS - 6.0,
                ty = y + per_row / 2.0 + 4.0,
                t = escape(&short(&self.row_label(row), 26)),
            );
            let mut x = LABELS;
            let bar_h = if stacked {
                per_row - 6.0
            } else {
                (per_row - 6.0) / series.len() as f64
            };
            for (i, col) in series.iter().enumerate() {
                let v = Self::value(row, *col);
                let w = plot * v / scale_max;
                let (bx, by) = if stacked {
                    (x, y + 3.0)
                } else {
                    (LABELS, y + 3.0 + bar_h * i as f64)
                };
                if w > 0.0 {
                    let _ = write!(
                        out,
                        r#"<rect x="{bx:.1}" y="{by:.1}" width="{w:.1}" height="{bar_h:.1}" fill="{c}"/>"#,
                        c = PALETTE[i % PALETTE.len()],
                    );
                }
                if stacked {
                    x += w;
                } else if v > 0.0 {
                    let _ = write!(
                        out,
                        r#"<text x="{tx:.1}" y="{ty:.1}" font-size="10">{v}</text>"#,
                        tx = bx + w + 3.0,
                        ty = by + bar_h - 1.0,
                        v = number(v),
                    );
                }
            }
            if stacked {
                let total: f64 = series.iter().map(|c| Self::value(row, *c)).sum();
                let _ = write!(
                    out,
                    r#"<text x="{tx:.1}" y="{ty:.1}" font-size="10">{v}</text>"#,
                    tx = x + 3.0,
                    ty = y + per_row / 2.0 + 4.0,
                    v = number(total),
                );
            }
        }
        (height, out)
    }

    fn lines(&self, series: &[usize]) -> (f64, String) {
        let max = self
            .rows
            .iter()
            .flat_map(|r| series.iter().map(move |c| Self::value(r, *c)))
            .fold(0.0, f64::max);
        let scale_max = nice_max(max);
        let left = 50.0;
        let plot_w = WIDTH - left - 20.0;
        let bottom = TOP + PLOT_HEIGHT;
        let height = bottom + 40.0;
        let n = self.rows.len();
        let x_of = |i: usize| {
            if n == 1 {
                left + plot_w / 2.0
            } else {
                left + plot_w * i as f64 / (n - 1) as f64
            }
        };
        let y_of = |v: f64| bottom - PLOT_HEIGHT * v / scale_max;
        let mut out = String::new();
        let steps = steps(scale_max, self.whole(series));
        for tick in 0..=steps {
            let v = scale_max * f64::from(tick) / f64::from(steps);
            let y = y_of(v);
            let _ = write!(
                out,
                r##"<line x1="{left}" y1="{y}" x2="{x2}" y2="{y}" stroke="#dddddd"/><text x="{tx}" y="{ty}" text-anchor="end">{v}</text>"##,
                x2 = left + plot_w,
                tx = left - 6.0,
                ty = y + 4.0,
                v = number(v),
            );
        }
        let every = n.div_ceil(8).max(1);
        for (i, row) in self.rows.iter().enumerate() {
            if i % every == 0 || i + 1 == n {
                let _ = write!(
                    out,
                    r#"<text x="{x:.1}" y="{y}" text-anchor="middle" font-size="10">{t}</text>"#,
                    x = x_of(i),
                    y = bottom + 16.0,
                    t = escape(&short(&self.row_label(row), 12)),
                );
            }
        }
        for (s, col) in series.iter().enumerate() {
            let colour = PALETTE[s % PALETTE.len()];
            let points: Vec<String> = self
                .rows
                .iter()
                .enumerate()
                .map(|(i, r)| format!("{:.1},{:.1}", x_of(i), y_of(Self::value(r, *col))))
                .collect();
            let _ = write!(
                out,
                r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
                points.join(" ")
            );
            if n <= 40 {
                for p in &points {
                    let (x, y) = p.split_once(',').unwrap_or(("0", "0"));
                    let _ = write!(
                        out,
                        r#"<circle cx="{x}" cy="{y}" r="2.5" fill="{colour}"/>"#
                    );
                }
            }
        }
        (height, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(text: &str, value: Option<f64>) -> Shown {
        Shown {
            text: text.into(),
            value,
        }
    }

    fn drawing<'a>(
        chart: ChartKind,
        headings: &'a [String],
        rows: &'a [Vec<Shown>],
    ) -> Drawing<'a> {
        Drawing {
            id: "c1",
            chart,
            caption: "积压 <按严重程度>",
            headings,
            plotted: &[false, true, true],
            label_columns: 1,
            rows,
        }
    }

    #[test]
    fn scales_end_at_a_round_number() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(10.0), 10.0);
        assert_eq!(nice_max(11.0), 20.0);
        assert_eq!(nice_max(0.3), 0.5);
        assert_eq!(steps(2.0, true), 2, "counts up to 2: 0, 1, 2");
        assert_eq!(steps(2.0, false), 4);
        assert_eq!(steps(20.0, true), 4);
        assert_eq!(steps(10.0, true), 5);
        assert_eq!(steps(0.5, false), 5);
    }

    #[test]
    fn every_kind_draws_an_accessible_image_with_escaped_words() {
        let headings = vec!["日期".to_owned(), "S1 & S2".to_owned(), "S3".to_owned()];
        let rows = vec![
            vec![
                cell("2026-11-01", None),
                cell("2", Some(2.0)),
                cell("3", Some(3.0)),
            ],
            vec![
                cell("2026-11-02", None),
                cell("4", Some(4.0)),
                cell("0", Some(0.0)),
            ],
        ];
        for kind in [ChartKind::Bar, ChartKind::StackedBar, ChartKind::Line] {
            let svg = drawing(kind, &headings, &rows).svg().unwrap();
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
            assert!(svg.contains(r#"role="img""#));
            assert!(svg.contains(r#"<title id="c1-title">积压 &lt;按严重程度&gt;</title>"#));
            assert!(svg.contains("S1 &amp; S2"));
            assert!(!svg.contains("style="));
        }
        // Stacked: the row of 2 + 3 ends at its total, 5, on a scale to 5.
        let svg = drawing(ChartKind::StackedBar, &headings, &rows)
            .svg()
            .unwrap();
        assert!(svg.contains(r#"width="240.0""#), "{svg}");
        assert!(drawing(ChartKind::Bar, &headings, &[]).svg().is_none());
    }
}
