import ArgumentParser
import Decoder

/// The rule every number option keeps: finite and within its documented range. NaN, infinities and values past
/// the range are a usage error (status 2) that names the option, the range and the value given, never a trap
/// further down (an `Int64` conversion of a time, say).
enum NumberRange {
    /// The most seconds a time option (`--start`, `--end`, `--time-scale`) may say: 31 years, which stays within a
    /// 64-bit pts in any stream time base down to 1/1,000,000,000.
    static let maximumSeconds = 1e9
    /// Frame rates (`--fps`, `--image-rate`): one a day to 1,000 a second.
    static let rates: ClosedRange<Double> = 1.0 / 86_400 ... 1_000

    /// Throws unless `value` (when given) lies in `range`.
    static func check(_ value: Double?, _ option: String, _ range: ClosedRange<Double>, unit: String = "") throws {
        guard let value, !range.contains(value) else { return }
        throw ValidationError("\(option) must be \(text(range.lowerBound)) to \(text(range.upperBound))\(unit.isEmpty ? "" : " " + unit), got \(value)")
    }

    /// Throws unless `value` (when given) lies in `range`.
    static func check(_ value: Int?, _ option: String, _ range: ClosedRange<Int>, unit: String = "") throws {
        guard let value, !range.contains(value) else { return }
        throw ValidationError("\(option) must be \(range.lowerBound) to \(range.upperBound)\(unit.isEmpty ? "" : " " + unit), got \(value)")
    }

    /// Throws unless `rate` is within ``rates``.
    static func check(rate: Rational, _ option: String) throws {
        guard !rates.contains(rate.doubleValue) else { return }
        throw ValidationError("\(option) must be 1/86400 (one a day) to 1000 a second, got \(rate)")
    }

    /// `1000000000`, `0.5`: whole numbers without a fraction or an exponent.
    private static func text(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
    }
}
