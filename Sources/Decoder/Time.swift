/// An exact rational number, as libav keeps time bases and frame rates.
public struct Rational: Sendable, Hashable, Codable, CustomStringConvertible {
    public let numerator: Int64
    public let denominator: Int64

    /// - Precondition: `denominator > 0`.
    public init(_ numerator: Int64, _ denominator: Int64) {
        precondition(denominator > 0, "a rational needs a positive denominator")
        self.numerator = numerator
        self.denominator = denominator
    }

    /// Parses "2", "0.5", "29.97" or "30000/1001" exactly (decimals become a power-of-ten denominator).
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard let n = Int64(parts[0]), let d = Int64(parts[1]), d > 0 else { return nil }
            self.init(n, d)
            return
        }
        guard parts.count == 1 else { return nil }
        let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count <= 2, let whole = Int64(pieces[0].isEmpty ? "0" : String(pieces[0])) else { return nil }
        guard pieces.count == 2 else { self.init(whole, 1); return }
        let fraction = pieces[1]
        guard fraction.count <= 9, fraction.allSatisfy(\.isASCII), let f = Int64(fraction.isEmpty ? "0" : String(fraction)) else { return nil }
        var scale: Int64 = 1
        for _ in 0..<fraction.count { scale *= 10 }
        // A whole part too large for the decimals (9999999999999999999.5) is no number we can hold.
        let (scaled, tooLarge) = whole.multipliedReportingOverflow(by: scale)
        let (value, stillTooLarge) = scaled.addingReportingOverflow(f)
        guard !tooLarge, !stillTooLarge else { return nil }
        self.init(value, scale)
    }

    public var doubleValue: Double { Double(numerator) / Double(denominator) }
    public var description: String { denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)" }
}

/// A presentation timestamp: an integer count of `timeBase` units, as the container stores it.
public struct Timestamp: Sendable, Hashable, Codable, Comparable {
    /// The raw pts in the stream's time base.
    public let pts: Int64
    /// Seconds per pts unit.
    public let timeBase: Rational

    public init(pts: Int64, timeBase: Rational) {
        self.pts = pts
        self.timeBase = timeBase
    }

    /// The time in seconds since pts 0 (not since the stream's start).
    public var seconds: Double { Double(pts) * timeBase.doubleValue }

    public static func < (a: Timestamp, b: Timestamp) -> Bool {
        // Exact for equal time bases (the common case); cross-multiplied otherwise.
        if a.timeBase == b.timeBase { return a.pts < b.pts }
        return Int128(a.pts) * Int128(a.timeBase.numerator) * Int128(b.timeBase.denominator)
            < Int128(b.pts) * Int128(b.timeBase.numerator) * Int128(a.timeBase.denominator)
    }
}

/// How densely frames are taken from the decoded stream.
public enum SamplingRate: Sendable, Hashable, CustomStringConvertible {
    /// Every decoded frame.
    case all
    /// R frames per second of presentation time.
    case perSecond(Rational)

    public var description: String {
        switch self {
        case .all: "all"
        case .perSecond(let r): r.description
        }
    }
}

/// Decides which decoded frames are sampled, by presentation timestamp.
///
/// For slot k the sampled frame is the first decoded frame whose pts is at least
/// `origin + k / rate`; a frame that reaches past several slots fills them all and is emitted once.
/// All comparisons are exact integer arithmetic on the stream's time base, so a frame whose pts
/// lands exactly on a slot is taken, whatever the time base.
public struct SampleClock: Sendable {
    public let origin: Int64
    public let timeBase: Rational
    public let rate: SamplingRate
    /// The next slot to fill.
    public private(set) var slot: Int64 = 0

    public init(origin: Int64, timeBase: Rational, rate: SamplingRate) {
        self.origin = origin
        self.timeBase = timeBase
        self.rate = rate
    }

    /// The earliest pts that can still be sampled; frames before it will never be taken.
    public var nextTarget: Int64 {
        switch rate {
        case .all: return origin
        case .perSecond(let r):
            // smallest pts with (pts - origin) * tb.num * r.num >= slot * r.den * tb.den
            let numerator = Int128(slot) * Int128(r.denominator) * Int128(timeBase.denominator)
            let step = Int128(timeBase.numerator) * Int128(r.numerator)
            let offset = (numerator + step - 1) / step
            return origin + Int64(clamping: offset)
        }
    }

    /// The slot whose time is the latest at or before `pts` (nil before the origin, or when sampling every frame): of
    /// the frames of one slot only the earliest can be sampled.
    public func slot(of pts: Int64) -> Int64? {
        guard pts >= origin, case .perSecond(let r) = rate else { return nil }
        let elapsed = Int128(pts - origin) * Int128(timeBase.numerator) * Int128(r.numerator)
        return Int64(clamping: elapsed / (Int128(r.denominator) * Int128(timeBase.denominator)))
    }

    /// Whether the frame at `pts` is sampled; advances past every slot it fills.
    public mutating func take(_ pts: Int64) -> Bool {
        guard pts >= origin else { return false }
        // Sampling every frame: no slots.
        guard let reached = slot(of: pts) else { return true }
        guard reached >= slot else { return false }
        slot = reached < Int64.max ? reached + 1 : reached
        return true
    }
}
