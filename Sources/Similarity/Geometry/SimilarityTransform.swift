import Foundation

/// A similarity transform of the plane (4 degrees of freedom): `(x, y) ↦ (a·x − b·y + tx, b·x + a·y + ty)`,
/// a uniform scale `√(a² + b²)` and a rotation `atan2(b, a)` followed by a shift.
public struct SimilarityTransform: Sendable, Equatable {
    public var a: Double
    public var b: Double
    public var tx: Double
    public var ty: Double

    public init(a: Double, b: Double, tx: Double, ty: Double) {
        self.a = a
        self.b = b
        self.tx = tx
        self.ty = ty
    }

    /// Scale `s`, rotation `angle` (radians, counter-clockwise in x-right/y-down pixels it turns clockwise), shift.
    public init(scale s: Double, rotation angle: Double, tx: Double, ty: Double) {
        self.init(a: s * cos(angle), b: s * sin(angle), tx: tx, ty: ty)
    }

    public static let identity = SimilarityTransform(a: 1, b: 0, tx: 0, ty: 0)

    public var scale: Double { (a * a + b * b).squareRoot() }
    /// Radians.
    public var rotation: Double { atan2(b, a) }

    @inline(__always) public func apply(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
        (a * x - b * y + tx, b * x + a * y + ty)
    }

    /// The transform through two point pairs (p1 ↦ q1, p2 ↦ q2), nil when p1 and p2 coincide.
    static func through(_ p1: (Double, Double), _ p2: (Double, Double), _ q1: (Double, Double), _ q2: (Double, Double)) -> SimilarityTransform? {
        let px = p2.0 - p1.0, py = p2.1 - p1.1, qx = q2.0 - q1.0, qy = q2.1 - q1.1
        let d = px * px + py * py
        guard d > 0 else { return nil }
        // (a + ib) = (qx + i qy) / (px + i py)
        let a = (qx * px + qy * py) / d, b = (qy * px - qx * py) / d
        return SimilarityTransform(a: a, b: b, tx: q1.0 - (a * p1.0 - b * p1.1), ty: q1.1 - (b * p1.0 + a * p1.1))
    }

    /// The least-squares similarity taking points `p[i]` to `q[i]` (Umeyama's closed form without the
    /// reflection), nil for fewer than two distinct points.
    static func leastSquares(count n: Int, p: (Int) -> (Double, Double), q: (Int) -> (Double, Double)) -> SimilarityTransform? {
        guard n >= 2 else { return nil }
        var mpx = 0.0, mpy = 0.0, mqx = 0.0, mqy = 0.0
        for i in 0..<n {
            let (x, y) = p(i), (u, v) = q(i)
            mpx += x; mpy += y; mqx += u; mqy += v
        }
        mpx /= Double(n); mpy /= Double(n); mqx /= Double(n); mqy /= Double(n)
        var spp = 0.0, sa = 0.0, sb = 0.0
        for i in 0..<n {
            let (x, y) = p(i), (u, v) = q(i)
            let px = x - mpx, py = y - mpy, qx = u - mqx, qy = v - mqy
            spp += px * px + py * py
            sa += px * qx + py * qy
            sb += px * qy - py * qx
        }
        guard spp > 0 else { return nil }
        let a = sa / spp, b = sb / spp
        return SimilarityTransform(a: a, b: b, tx: mqx - (a * mpx - b * mpy), ty: mqy - (b * mpx + a * mpy))
    }
}

/// Plane geometry for the verification's measures: convex polygons (clipping, area) and convex hulls.
enum PlaneGeometry {
    /// Area of a simple polygon (shoelace), absolute.
    static func area(_ points: [(x: Double, y: Double)]) -> Double {
        guard points.count >= 3 else { return 0 }
        var sum = 0.0
        for i in points.indices {
            let p = points[i], q = points[(i + 1) % points.count]
            sum += p.x * q.y - q.x * p.y
        }
        return abs(sum) / 2
    }

    /// A convex polygon clipped to the axis-aligned rectangle `[x0, x1] × [y0, y1]` (Sutherland–Hodgman).
    static func clip(_ polygon: [(x: Double, y: Double)], x0: Double, y0: Double, x1: Double, y1: Double) -> [(x: Double, y: Double)] {
        var points = polygon
        // Each edge: inside test and intersection, for x ≥ x0, x ≤ x1, y ≥ y0, y ≤ y1.
        let edges: [(inside: ((x: Double, y: Double)) -> Bool, cut: ((x: Double, y: Double), (x: Double, y: Double)) -> (x: Double, y: Double))] = [
            ({ $0.x >= x0 }, { p, q in (x0, p.y + (q.y - p.y) * (x0 - p.x) / (q.x - p.x)) }),
            ({ $0.x <= x1 }, { p, q in (x1, p.y + (q.y - p.y) * (x1 - p.x) / (q.x - p.x)) }),
            ({ $0.y >= y0 }, { p, q in (p.x + (q.x - p.x) * (y0 - p.y) / (q.y - p.y), y0) }),
            ({ $0.y <= y1 }, { p, q in (p.x + (q.x - p.x) * (y1 - p.y) / (q.y - p.y), y1) }),
        ]
        for edge in edges {
            guard !points.isEmpty else { break }
            var output: [(x: Double, y: Double)] = []
            for i in points.indices {
                let current = points[i], previous = points[(i + points.count - 1) % points.count]
                let inCurrent = edge.inside(current), inPrevious = edge.inside(previous)
                if inCurrent {
                    if !inPrevious { output.append(edge.cut(previous, current)) }
                    output.append(current)
                } else if inPrevious {
                    output.append(edge.cut(previous, current))
                }
            }
            points = output
        }
        return points
    }

    /// Area of the convex hull of `count` points (Andrew's monotone chain). `order` is scratch.
    static func hullArea(count n: Int, x: (Int) -> Double, y: (Int) -> Double, order: inout [Int]) -> Double {
        guard n >= 3 else { return 0 }
        order.removeAll(keepingCapacity: true)
        order.append(contentsOf: 0..<n)
        order.sort { x($0) != x($1) ? x($0) < x($1) : y($0) < y($1) }
        func cross(_ o: Int, _ a: Int, _ b: Int) -> Double { (x(a) - x(o)) * (y(b) - y(o)) - (y(a) - y(o)) * (x(b) - x(o)) }
        var hull: [Int] = []
        hull.reserveCapacity(2 * n)
        for i in order {
            while hull.count >= 2 && cross(hull[hull.count - 2], hull[hull.count - 1], i) <= 0 { hull.removeLast() }
            hull.append(i)
        }
        let lower = hull.count + 1
        for i in order.reversed().dropFirst() {
            while hull.count >= lower && cross(hull[hull.count - 2], hull[hull.count - 1], i) <= 0 { hull.removeLast() }
            hull.append(i)
        }
        hull.removeLast()
        return area(hull.map { (x($0), y($0)) })
    }
}
