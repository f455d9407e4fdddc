//! What a plot shows, independent of how it is drawn: a titled figure of panels, each with two
//! axes, marks (lines, dashed lines, dots) and legend entries. The plot modules build these;
//! `render` draws them.

use plotters::style::RGBColor;

use super::axis::Axis;

/// How a mark is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrokeKind {
    /// A solid polyline.
    Line,
    /// A dashed polyline (theory and reference lines).
    Dashed,
    /// One filled dot per point.
    Dots,
}

/// Colour, kind, width and opacity of a mark.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stroke {
    /// The colour.
    pub colour: RGBColor,
    /// Line, dashed line or dots.
    pub kind: StrokeKind,
    /// Line width, or dot radius, in pixels.
    pub width: u32,
    /// 1 is opaque.
    pub opacity: f64,
}

impl Stroke {
    /// A solid opaque line.
    pub fn line(colour: RGBColor, width: u32) -> Stroke {
        Stroke {
            colour,
            kind: StrokeKind::Line,
            width,
            opacity: 1.0,
        }
    }

    /// A dashed opaque line.
    pub fn dashed(colour: RGBColor, width: u32) -> Stroke {
        Stroke {
            colour,
            kind: StrokeKind::Dashed,
            width,
            opacity: 1.0,
        }
    }

    /// Opaque dots of radius `radius`.
    pub fn dots(colour: RGBColor, radius: u32) -> Stroke {
        Stroke {
            colour,
            kind: StrokeKind::Dots,
            width: radius,
            opacity: 1.0,
        }
    }

    /// The same stroke with opacity `opacity`.
    pub fn faint(self, opacity: f64) -> Stroke {
        Stroke { opacity, ..self }
    }
}

/// A set of points drawn with one stroke.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    /// The (x, y) points, in data values.
    pub points: Vec<(f64, f64)>,
    /// How to draw them.
    pub stroke: Stroke,
}

impl Mark {
    /// A mark of `points` drawn with `stroke`.
    pub fn new(points: Vec<(f64, f64)>, stroke: Stroke) -> Mark {
        Mark { points, stroke }
    }
}

/// One line of a legend: a sample of the stroke (none for a note) and its text.
#[derive(Clone, Debug, PartialEq)]
pub struct LegendEntry {
    /// What the stroke stands for.
    pub label: String,
    /// The sample drawn before the label; `None` for a line of explanation.
    pub stroke: Option<Stroke>,
}

impl LegendEntry {
    /// An entry with a stroke sample.
    pub fn new(label: impl Into<String>, stroke: Stroke) -> LegendEntry {
        LegendEntry {
            label: label.into(),
            stroke: Some(stroke),
        }
    }

    /// A line of explanation without a sample.
    pub fn note(label: impl Into<String>) -> LegendEntry {
        LegendEntry {
            label: label.into(),
            stroke: None,
        }
    }
}

/// One chart: axes, marks and a legend of its own (drawn to its right).
#[derive(Clone, Debug)]
pub struct Panel {
    /// Shown above the panel (e.g. `n = 256` in a grid of panels).
    pub title: Option<String>,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// What is drawn, in order (later marks on top).
    pub marks: Vec<Mark>,
    /// The panel's own legend; empty when the figure's shared legend says it all.
    pub legend: Vec<LegendEntry>,
}

impl Panel {
    /// A panel with axes `x` and `y` and nothing drawn yet.
    pub fn new(x: Axis, y: Axis) -> Panel {
        Panel {
            title: None,
            x,
            y,
            marks: Vec::new(),
            legend: Vec::new(),
        }
    }
}

/// A titled figure: panels on a grid and a legend shared by all of them (drawn to the right).
#[derive(Clone, Debug)]
pub struct Figure {
    /// What the figure shows, in words.
    pub title: String,
    /// The panels, row by row.
    pub panels: Vec<Panel>,
    /// The legend shared by all panels.
    pub legend: Vec<LegendEntry>,
}

impl Figure {
    /// Columns of the panel grid: up to 3 side by side; one when panels have legends of their
    /// own (which are wide).
    pub fn columns(&self) -> usize {
        if self.panels.iter().any(|p| !p.legend.is_empty()) {
            return 1;
        }
        match self.panels.len() {
            0 | 1 => 1,
            2 | 4 => 2,
            _ => 3,
        }
    }

    /// Rows of the panel grid.
    pub fn rows(&self) -> usize {
        self.panels.len().div_ceil(self.columns()).max(1)
    }
}
