import Foundation
import FrameDedupe
import Testing
import _FrameDedupeTestSupport

/// `docs/schema/scenes.schema.json` and `clusters.schema.json` describe what the binary writes: the files of real
/// runs on the samples (video and a folder of pictures; both scorers; every `--keep`) are valid against them, and
/// every member a schema allows is seen in some run, so neither side can drift alone. The files also read back
/// into ``ScenesFile`` and ``ClustersFile``, whose text is the file again, byte for byte.
@Suite("Results files against their JSON Schemas", .temporaryFolders)
struct ResultsSchemaTests {
    static func schema(_ name: String) throws -> JSONDocument {
        try JSONDocument(contentsOf: Fixtures.packageRoot.appendingPathComponent("docs/schema/\(name).schema.json"))
    }

    @Test func writtenFilesAreValid() throws {
        let photos = Fixtures.temporaryFolder("schema-photos")
        try FileManager.default.removeItem(at: photos)
        try FileManager.default.copyItem(at: try Fixtures.sampleFrames(), to: photos)
        let runs: [(input: String, options: [String])] = [
            // The default cascade writes `counts.embeddings_skipped`.
            (Fixtures.sample("shots-360p.mp4").path, []),
            (Fixtures.sample("revisit-360p.mp4").path, ["--scorer", "ssim", "--keep", "diverse", "--start", "1", "--max-side", "320"]),
            (photos.path, ["--keep", "scene", "--dendrogram", "--image-format", "png"]),
        ]
        var validators = [try SchemaValidator(try Self.schema("scenes")), try SchemaValidator(try Self.schema("clusters"))]
        for run in runs {
            let out = Fixtures.temporaryFolder("schema-run")
            let result = try Fixtures.framededupe([run.input, "-o", out.path, "-q", "--no-report"] + run.options)
            #expect(result.status == 0, "stderr: \(result.stderr)")
            for (i, file) in ["scenes.json", "clusters.json"].enumerated() {
                let problems = validators[i].problems(try JSONDocument(contentsOf: out.appendingPathComponent(file)))
                #expect(problems.isEmpty, "\(file) of \(run.input) \(run.options): \(problems.prefix(5))")
            }
            let scenesText = try String(contentsOf: out.appendingPathComponent("scenes.json"), encoding: .utf8)
            #expect(try ScenesFile(contentsOf: out.appendingPathComponent("scenes.json")).json == scenesText)
            let clustersText = try String(contentsOf: out.appendingPathComponent("clusters.json"), encoding: .utf8)
            #expect(try ClustersFile(contentsOf: out.appendingPathComponent("clusters.json")).json == clustersText)
        }
        for (i, file) in ["scenes.json", "clusters.json"].enumerated() {
            #expect(validators[i].unusedMembers.isEmpty, "\(file): members the schema allows that no run wrote: \(validators[i].unusedMembers.sorted())")
        }
    }

    /// The validator rejects what the schemas forbid, so a valid file means something.
    @Test func validatorRejectsWhatTheSchemaForbids() throws {
        var validator = try SchemaValidator(try Self.schema("clusters"))
        let options: [String: JSONDocument] = [
            "cluster_threshold": .number(0.35), "linkage": .string("average"), "alpha": .number(0), "time_scale": .number(60),
            "content": .string("embedding"), "spatial_check": .bool(true), "geometric_check": .bool(true), "copy_radius": .number(0.45),
            "grid_threshold": .number(0.22), "mirrored_match": .bool(true),
            "shifted_match": .bool(true), "min_cluster_size": .number(1), "pca": .number(0), "keep": .string("cluster"), "diversity": .null,
            "dendrogram": .bool(false),
        ]
        let valid: [String: JSONDocument] = [
            "version": .number(1), "input": .string("a.mp4"), "options": .object(options), "spatial_check_vetoes": .number(0),
            "copy_joins": .number(0), "principal_components_used": .number(0), "complete": .bool(true), "clusters": .array([]),
        ]
        #expect(validator.problems(.object(valid)).isEmpty)
        var extra = valid
        extra["colour"] = .string("red")
        #expect(validator.problems(.object(extra)) == ["$: colour is not allowed"])
        var missing = valid
        missing["input"] = nil
        #expect(validator.problems(.object(missing)) == ["$: input is missing"])
        var wrong = valid
        wrong["version"] = .number(2)
        wrong["complete"] = .null
        wrong["options"] = .object(options.merging(["linkage": .string("nearest"), "pca": .number(1.5)]) { $1 })
        wrong["clusters"] = .array([.object(["id": .number(0), "span": .array([.number(1)])])])
        #expect(Set(validator.problems(.object(wrong))) == [
            "$.version: 2 is not one of [1]", "$.complete: null is not boolean",
            "$.options.linkage: \"nearest\" is not one of [\"average\", \"complete\", \"single\", \"ward\"]", "$.options.pca: 1.5 is not integer",
            "$.clusters[0]: scenes is missing", "$.clusters[0]: frames is missing", "$.clusters[0].span: fewer than 2 items",
            "$.clusters[0]: singleton is missing", "$.clusters[0]: exemplar is missing",
        ])
        #expect(throws: SchemaValidator.UnsupportedKeyword.self) { try SchemaValidator(.object(["type": .string("object"), "patternProperties": .object([:])])) }
    }
}

/// A JSON document as `JSONDecoder` reads it, booleans apart from numbers.
enum JSONDocument: Decodable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONDocument])
    case object([String: JSONDocument])

    init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer()
        if value.decodeNil() { self = .null }
        else if let b = try? value.decode(Bool.self) { self = .bool(b) }
        else if let n = try? value.decode(Double.self) { self = .number(n) }
        else if let s = try? value.decode(String.self) { self = .string(s) }
        else if let a = try? value.decode([JSONDocument].self) { self = .array(a) }
        else { self = .object(try value.decode([String: JSONDocument].self)) }
    }

    init(contentsOf url: URL) throws { self = try JSONDecoder().decode(JSONDocument.self, from: Data(contentsOf: url)) }

    subscript(key: String) -> JSONDocument? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let b): String(b)
        case .number(let n): n.rounded() == n && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .string(let s): "\"\(s)\""
        case .array(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .object(let members): "{" + members.keys.sorted().joined(separator: ", ") + "}"
        }
    }

    /// JSON Schema's names of types: `integer` is a number without a fraction.
    func isOfType(_ type: String) -> Bool {
        switch (self, type) {
        case (.null, "null"), (.bool, "boolean"), (.number, "number"), (.string, "string"), (.array, "array"), (.object, "object"): true
        case (.number(let n), "integer"): n.rounded() == n
        default: false
        }
    }
}

/// A JSON Schema (draft 2020-12) validator for the subset the results schemas use: `type` (one or a list),
/// `enum`, `properties`, `required`, `additionalProperties: false`, `items`, `minItems`, `maxItems` and `$ref` to
/// `#/$defs/…`. A schema with any other keyword is refused, so that no rule of a schema goes unchecked. It also
/// records which declared members it has seen.
struct SchemaValidator {
    struct UnsupportedKeyword: Error { let keyword: String }

    static let checked: Set<String> = ["type", "enum", "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "$ref"]
    static let annotations: Set<String> = ["$schema", "$defs", "title", "description", "$comment"]

    let root: JSONDocument
    /// `path.member` for every member a schema declares and no validated document has held yet.
    private(set) var unusedMembers: Set<String> = []

    init(_ root: JSONDocument) throws {
        self.root = root
        try check(root, at: "#")
        if case .object(let definitions) = root["$defs"] ?? .null {
            for (name, definition) in definitions { try check(definition, at: "#/$defs/\(name)") }
        }
    }

    /// Refuses keywords outside the subset; notes the members declared.
    private mutating func check(_ schema: JSONDocument, at path: String) throws {
        guard case .object(let keywords) = schema else { return }
        if let keyword = keywords.keys.first(where: { !Self.checked.contains($0) && !Self.annotations.contains($0) }) {
            throw UnsupportedKeyword(keyword: keyword)
        }
        if let additional = keywords["additionalProperties"], additional != .bool(false) { throw UnsupportedKeyword(keyword: "additionalProperties") }
        if case .object(let members) = keywords["properties"] ?? .null {
            for (name, member) in members {
                unusedMembers.insert("\(path).\(name)")
                try check(member, at: "\(path).\(name)")
            }
        }
        if let items = keywords["items"] { try check(items, at: path + "[]") }
    }

    /// What is wrong with `document`, one line each (`$.frames[3].time: "x" is not number`); empty when it is valid.
    mutating func problems(_ document: JSONDocument) -> [String] {
        var found: [String] = []
        validate(document, against: root, schemaPath: "#", at: "$", into: &found)
        return found
    }

    private mutating func validate(_ value: JSONDocument, against schema: JSONDocument, schemaPath: String, at path: String, into found: inout [String]) {
        if case .string(let ref) = schema["$ref"] ?? .null {
            guard ref.hasPrefix("#/$defs/"), let target = root["$defs"]?[String(ref.dropFirst("#/$defs/".count))] else {
                found.append("\(path): unresolved \(ref)")
                return
            }
            validate(value, against: target, schemaPath: ref, at: path, into: &found)
        }
        if let type = schema["type"] {
            let types: [String] = switch type {
            case .string(let one): [one]
            case .array(let several): several.compactMap { if case .string(let t) = $0 { t } else { nil } }
            default: []
            }
            guard types.contains(where: value.isOfType) else {
                found.append("\(path): \(value) is not \(types.joined(separator: " or "))")
                return
            }
        }
        if case .array(let allowed) = schema["enum"] ?? .null, !allowed.contains(value) {
            found.append("\(path): \(value) is not one of \(JSONDocument.array(allowed))")
        }
        switch value {
        case .object(let members):
            if case .array(let required) = schema["required"] ?? .null {
                for case .string(let name) in required where members[name] == nil { found.append("\(path): \(name) is missing") }
            }
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                if let memberSchema = schema["properties"]?[name] {
                    unusedMembers.remove("\(schemaPath).\(name)")
                    validate(member, against: memberSchema, schemaPath: "\(schemaPath).\(name)", at: "\(path).\(name)", into: &found)
                } else if schema["additionalProperties"] == .bool(false) {
                    found.append("\(path): \(name) is not allowed")
                }
            }
        case .array(let items):
            if case .number(let minimum) = schema["minItems"] ?? .null, Double(items.count) < minimum { found.append("\(path): fewer than \(Int(minimum)) items") }
            if case .number(let maximum) = schema["maxItems"] ?? .null, Double(items.count) > maximum { found.append("\(path): more than \(Int(maximum)) items") }
            if let itemSchema = schema["items"] {
                for (i, item) in items.enumerated() { validate(item, against: itemSchema, schemaPath: schemaPath + "[]", at: "\(path)[\(i)]", into: &found) }
            }
        default:
            break
        }
    }
}
