//! The overview's chart: tokens issued per grant type and failed authentications in each of the last 24 hours, as
//! an SVG drawn here (no script, nothing fetched), with the totals as text beside it.

use crate::activity::{LastHours, AUTHENTICATION_FAILED};
use crate::domain::grant_type::GrantType;

/// How many hours the chart shows, the current one last.
pub const HOURS: i64 = 24;
/// One hour's column, and the plot's height, in SVG units.
const COLUMN: i64 = 24;
const PLOT: i64 = 100;
/// The left margin, for the scale.
const LEFT: i64 = 32;
pub const WIDTH: i64 = LEFT + HOURS * COLUMN;
pub const HEIGHT: i64 = PLOT + 20;

/// One rectangle: a grant type's share of an hour's tokens, or the hour's failures.
pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
    pub class: String,
    pub title: String,
}

/// A series' total over the day, as the legend shows it.
pub struct Total {
    pub class: String,
    pub label: &'static str,
    pub count: i64,
}

pub struct ActivityChart {
    pub bars: Vec<Bar>,
    /// Hour labels under the plot: (x, "HH:00").
    pub labels: Vec<(i64, String)>,
    /// The count the plot's top stands for.
    pub max: i64,
    pub totals: Vec<Total>,
    pub plot_bottom: i64,
    pub left: i64,
}

/// The series, in stacking order: each grant type's tokens, then failures.
fn series() -> impl Iterator<Item = (&'static str, &'static str)> {
    GrantType::ALL
        .into_iter()
        .map(|grant| (grant.short_name(), grant.short_name()))
        .chain([(AUTHENTICATION_FAILED, "failed authentications")])
}

/// The chart of the last hours' counts.
pub fn draw(LastHours { first_hour, counts }: &LastHours) -> ActivityChart {
    let first_hour = *first_hour;
    let count_of = |hour: i64, event: &str| -> i64 {
        counts
            .iter()
            .filter(|c| c.hour == hour && c.event == event)
            .map(|c| c.count)
            .sum()
    };
    let hours = || first_hour..first_hour + HOURS;
    let tokens_in = |hour: i64| -> i64 {
        GrantType::ALL
            .into_iter()
            .map(|grant| count_of(hour, grant.short_name()))
            .sum()
    };
    let max = hours()
        .map(|hour| tokens_in(hour).max(count_of(hour, AUTHENTICATION_FAILED)))
        .max()
        .unwrap_or(0)
        .max(1);
    let height_of = |count: i64| (count * PLOT + max - 1) / max;
    let mut bars = Vec::new();
    for (column, hour) in hours().enumerate() {
        let x = LEFT + column as i64 * COLUMN;
        let span = format!("{:02}:00–{:02}:00 UTC", hour % 24, (hour + 1) % 24);
        // Tokens stacked by grant type on the left of the column, failures on the right.
        let mut top = PLOT;
        for grant in GrantType::ALL {
            let count = count_of(hour, grant.short_name());
            if count == 0 {
                continue;
            }
            let height = height_of(count);
            top -= height;
            bars.push(Bar {
                x: x + 3,
                y: top,
                width: 10,
                height,
                class: format!("bar-{}", grant.short_name()),
                title: format!("{span}: {count} {} tokens", grant.short_name()),
            });
        }
        let failed = count_of(hour, AUTHENTICATION_FAILED);
        if failed > 0 {
            let height = height_of(failed);
            bars.push(Bar {
                x: x + 14,
                y: PLOT - height,
                width: 7,
                height,
                class: format!("bar-{AUTHENTICATION_FAILED}"),
                title: format!("{span}: {failed} failed authentications"),
            });
        }
    }
    let labels = hours()
        .enumerate()
        .filter(|(_, hour)| hour % 6 == 0)
        .map(|(column, hour)| {
            (
                LEFT + column as i64 * COLUMN,
                format!("{:02}:00", hour % 24),
            )
        })
        .collect();
    let totals = series()
        .map(|(event, label)| Total {
            class: format!("bar-{event}"),
            label,
            count: hours().map(|hour| count_of(hour, event)).sum(),
        })
        .collect();
    ActivityChart {
        bars,
        labels,
        max,
        totals,
        plot_bottom: PLOT,
        left: LEFT,
    }
}
