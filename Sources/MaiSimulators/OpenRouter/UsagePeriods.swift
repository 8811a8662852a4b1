import Foundation

/// The starts of the UTC day, week (Monday) and month containing `now`, for key usage totals.
struct UsagePeriods {
    let day: Date
    let week: Date
    let month: Date

    init(now: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        calendar.firstWeekday = 2
        day = calendar.startOfDay(for: now)
        week = calendar.dateInterval(of: .weekOfYear, for: now)?.start ?? day
        month = calendar.dateInterval(of: .month, for: now)?.start ?? day
    }

    /// The start of the period named `daily`, `weekly` or `monthly`.
    func start(of reset: String) -> Date? {
        switch reset {
        case "daily": day
        case "weekly": week
        case "monthly": month
        default: nil
        }
    }
}
