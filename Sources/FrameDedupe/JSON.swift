import Foundation

/// A JSON value with ordered object keys, so that results serialise byte-identically run after run.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    /// A number printed with at most `decimals` places (trailing zeros dropped).
    case number(Double, decimals: Int)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.serialized() == b.serialized() }

    public static func int(_ v: Int) -> JSONValue { .int(Int64(v)) }
    public static func seconds(_ v: Double) -> JSONValue { .number(v, decimals: 6) }
    public static func optional(_ v: Double?, decimals: Int = 6) -> JSONValue { v.map { .number($0, decimals: decimals) } ?? .null }

    /// The JSON text; objects and arrays of objects are indented, small arrays of scalars stay on one line.
    public func serialized(indent: Int = 0, pretty: Bool = true) -> String {
        var out = ""
        write(to: &out, indent: indent, pretty: pretty)
        return out
    }

    func write(to out: inout String, indent: Int, pretty: Bool) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .number(let d, let decimals): out += formatNumber(d, decimals: decimals)
        case .string(let s): writeString(s, to: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            let nested = pretty && items.contains { if case .object = $0 { return true }; if case .array = $0 { return true }; return false }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += pretty && !nested ? ", " : "," }
                if nested { out += "\n" + String(repeating: "  ", count: indent + 1) }
                // Objects inside arrays are written on one line each: a frame or scene per line.
                item.write(to: &out, indent: indent + 1, pretty: pretty && !nested ? true : false)
            }
            if nested { out += "\n" + String(repeating: "  ", count: indent) }
            out += "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{"
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out += pretty ? "," : ", " }
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                writeString(key, to: &out)
                out += ": "
                value.write(to: &out, indent: indent + 1, pretty: pretty)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "}"
        }
    }
}

/// A number with at most `decimals` places, no exponent, no trailing zeros; non-finite values become null.
func formatNumber(_ d: Double, decimals: Int) -> String {
    guard d.isFinite else { return "null" }
    var s = String(format: "%.\(decimals)f", d)
    if s.contains(".") {
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
    }
    if s == "-0" { s = "0" }
    return s
}

private func writeString(_ s: String, to out: inout String) {
    out += "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    out += "\""
}
