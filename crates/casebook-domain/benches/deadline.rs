//! Deadline benchmark (not a test): business-time deadlines per second on one core, on the
//! built-in China 5×8 calendar, for a 2-hour target, a next-business-day (NBD) target and a
//! 30-business-day target. Run with `cargo bench -p casebook-domain --bench deadline`; see
//! docs/benchmarks.md. CASEBOOK_BENCH_DEADLINES sets the number of deadlines per target
//! (default 2,000,000).

use std::hint::black_box;
use std::time::Instant;

use casebook_domain::sla::BusinessCalendar;
use casebook_domain::sla::china::{CHINA_5X8, builtin_calendars};
use jiff::Timestamp;

/// One kind of deadline computation.
type Deadline<'a> = dyn Fn(Timestamp) -> Option<Timestamp> + 'a;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n: i64 = std::env::var("CASEBOOK_BENCH_DEADLINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000_000);
    let calendar: BusinessCalendar = builtin_calendars()
        .into_iter()
        .find(|(id, _)| id.as_str() == CHINA_5X8)
        .map(|(_, spec)| spec.compile().expect("the built-in calendar compiles"))
        .expect("the built-in calendar exists");
    // Starts spread over 2025–2026, 7 minutes and 13 seconds apart, so every kind of day and
    // time of day is met.
    let first = Timestamp::from_second(1_735_689_600).unwrap();
    let start = |i: i64| first + jiff::SignedDuration::from_secs((i * 433) % (2 * 365 * 86_400));
    let business_day = 8 * 3600 + 30 * 60;
    let runs: [(&str, &Deadline); 3] = [
        ("2-hour target", &|t| calendar.add(t, 2 * 3600)),
        ("next business day (NBD)", &|t| {
            calendar.next_business_day_end(t)
        }),
        ("30-business-day target", &|t| {
            calendar.add(t, 30 * business_day)
        }),
    ];
    // Warm the year tables.
    for (_, f) in &runs {
        black_box(f(start(0)));
    }
    println!("| target | deadlines | seconds | deadlines per second (one core) |");
    println!("| --- | --- | --- | --- |");
    for (name, f) in runs {
        let t0 = Instant::now();
        for i in 0..n {
            black_box(f(black_box(start(i))));
        }
        let secs = t0.elapsed().as_secs_f64();
        println!("| {name} | {n} | {secs:.3} | {:.0} |", n as f64 / secs);
    }
}
