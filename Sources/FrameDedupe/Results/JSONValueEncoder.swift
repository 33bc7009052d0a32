import Foundation

/// How a type's members are written as JSON beyond their order: the decimal places of its numbers, and which
/// optional members are left out when absent. The results types conform so that one `Codable` declaration
/// gives the layout of framededupe's files; ``JSONValue/init(encoding:)`` applies the rules.
protocol JSONWritingRules {
    /// Decimal places of the number members named here; every other number gets ``defaultDecimalPlaces``.
    static var decimalPlaces: [String: Int] { get }
    /// Optional members written only when present; every other absent optional is written as `null`.
    static var membersOmittedWhenAbsent: Set<String> { get }
}

extension JSONWritingRules {
    static var decimalPlaces: [String: Int] { [:] }
    static var membersOmittedWhenAbsent: Set<String> { [] }
}

/// Numbers without a rule: times, scores and rates, printed with up to 6 decimals (microseconds).
let defaultDecimalPlaces = 6

extension JSONValue {
    /// `value` as a JSON value: objects' members in the order its `encode(to:)` encodes them (declaration order for
    /// synthesised conformances), integers as integers, other numbers with up to 6 decimals (trailing zeros dropped)
    /// unless the type's ``JSONWritingRules`` say otherwise, and absent optionals as `null` unless its rules omit them.
    init<T: Encodable>(encoding value: T) {
        let node = ValueNode()
        // Encoding into memory cannot fail: no container here throws.
        try! value.encode(to: ValueEncoder(node: node, rules: T.self as? JSONWritingRules.Type, codingPath: []))
        self = node.value
    }

    /// The members of an object (empty for any other value).
    var members: [(String, JSONValue)] {
        if case .object(let members) = self { return members }
        return []
    }
}

/// What one encoded value has become so far: a finished value, or an object or array still being filled.
private final class ValueNode {
    enum Content {
        case value(JSONValue)
        case object([(String, ValueNode)])
        case array([ValueNode])
    }

    var content: Content = .value(.null)

    var value: JSONValue {
        switch content {
        case .value(let v): v
        case .object(let members): .object(members.map { ($0.0, $0.1.value) })
        case .array(let items): .array(items.map(\.value))
        }
    }

    /// A new member (or, for a repeated key, the existing one), making this node an object.
    func member(_ key: String) -> ValueNode {
        var members: [(String, ValueNode)] = []
        if case .object(let m) = content { members = m }
        if let existing = members.first(where: { $0.0 == key }) { return existing.1 }
        let node = ValueNode()
        members.append((key, node))
        content = .object(members)
        return node
    }

    /// A new last item, making this node an array.
    func appendedItem() -> ValueNode {
        var items: [ValueNode] = []
        if case .array(let i) = content { items = i }
        let node = ValueNode()
        items.append(node)
        content = .array(items)
        return node
    }

    func becomeObject() { if case .object = content {} else { content = .object([]) } }
    func becomeArray() { if case .array = content {} else { content = .array([]) } }
}

private struct ValueEncoder: Encoder {
    let node: ValueNode
    /// The rules of the type being encoded (nil: the defaults).
    let rules: JSONWritingRules.Type?
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.becomeObject()
        return KeyedEncodingContainer(KeyedContainer<Key>(node: node, rules: rules, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.becomeArray()
        return UnkeyedContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleValueContainer(node: node, codingPath: codingPath) }
}

/// Encodes `value` into `node`: scalars directly, anything else with its own type's rules.
private func encode<T: Encodable>(_ value: T, into node: ValueNode, decimals: Int, codingPath: [any CodingKey]) throws {
    switch value {
    case let d as Double: node.content = .value(.number(d, decimals: decimals))
    case let f as Float: node.content = .value(.number(Double(f), decimals: decimals))
    case let b as Bool: node.content = .value(.bool(b))
    case let s as String: node.content = .value(.string(s))
    // Every integer type here, or its own encode(to:) would hand it back to this function.
    case let i as any BinaryInteger: node.content = .value(.int(Int64(clamping: i)))
    default: try value.encode(to: ValueEncoder(node: node, rules: T.self as? JSONWritingRules.Type, codingPath: codingPath))
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: ValueNode
    let rules: JSONWritingRules.Type?
    let codingPath: [any CodingKey]

    private func decimals(_ key: Key) -> Int { rules?.decimalPlaces[key.stringValue] ?? defaultDecimalPlaces }

    mutating func encodeNil(forKey key: Key) throws { node.member(key.stringValue).content = .value(.null) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try FrameDedupe.encode(value, into: node.member(key.stringValue), decimals: decimals(key), codingPath: codingPath + [key])
    }

    /// Absent: `null`, or nothing for a member the rules omit.
    private mutating func encodeOptional<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value {
            try encode(value, forKey: key)
        } else if rules?.membersOmittedWhenAbsent.contains(key.stringValue) != true {
            try encodeNil(forKey: key)
        }
    }

    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encodeOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try encodeOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try encodeOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try encodeOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encodeOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try encodeOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try encodeOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try encodeOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try encodeOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try encodeOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try encodeOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try encodeOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try encodeOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try encodeOptional(value, forKey: key) }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws { try encodeOptional(value, forKey: key) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let child = node.member(key.stringValue)
        child.becomeObject()
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(node: child, rules: nil, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = node.member(key.stringValue)
        child.becomeArray()
        return UnkeyedContainer(node: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { ValueEncoder(node: node.member("super"), rules: nil, codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { ValueEncoder(node: node.member(key.stringValue), rules: nil, codingPath: codingPath + [key]) }
}

/// An array's items: numbers with the default decimals.
private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let node: ValueNode
    let codingPath: [any CodingKey]

    var count: Int {
        if case .array(let items) = node.content { return items.count }
        return 0
    }

    mutating func encodeNil() throws { node.appendedItem().content = .value(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try FrameDedupe.encode(value, into: node.appendedItem(), decimals: defaultDecimalPlaces, codingPath: codingPath)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let child = node.appendedItem()
        child.becomeObject()
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(node: child, rules: nil, codingPath: codingPath))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = node.appendedItem()
        child.becomeArray()
        return UnkeyedContainer(node: child, codingPath: codingPath)
    }

    mutating func superEncoder() -> any Encoder { ValueEncoder(node: node.appendedItem(), rules: nil, codingPath: codingPath) }
}

/// One value: numbers with the default decimals.
private struct SingleValueContainer: SingleValueEncodingContainer {
    let node: ValueNode
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.content = .value(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try FrameDedupe.encode(value, into: node, decimals: defaultDecimalPlaces, codingPath: codingPath)
    }
}
