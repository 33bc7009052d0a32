import Foundation
import Testing
import _FrameDedupeTestSupport

/// Package.swift declares what every target imports, so the build graph is the real one (a target that
/// imports a module it does not declare builds only because something else happened to build it first).
@Suite("Package.swift tells the truth", .temporaryFolders)
struct PackageManifestTests {
    /// Modules of the system and the toolchain, never declared in Package.swift.
    static let systemModules: Set<String> = [
        "Foundation", "FoundationEssentials", "FoundationInternationalization", "FoundationNetworking", "FoundationXML",
        "Glibc", "Musl", "Darwin", "Dispatch", "Testing", "XCTest", "Swift", "_Concurrency", "Synchronization", "RegexBuilder",
    ]

    /// `swift package describe --type json`: each target's name, path and declared dependencies (targets of this
    /// package, and products of others, whose one module has the product's name here).
    struct Target {
        let name: String
        let path: String
        let declared: Set<String>
    }

    static func targets() throws -> [Target] {
        // A scratch path of its own: `swift test` holds the lock of .build while the tests run (describe builds nothing).
        let scratch = Fixtures.temporaryFolder("describe")
        let described = try Fixtures.run("swift", ["package", "--package-path", Fixtures.packageRoot.path, "--scratch-path", scratch.path,
                                                   "describe", "--type", "json"])
        #expect(described.status == 0, "swift package describe: \(described.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(described.stdout.utf8)) as? [String: Any])
        let targets = try #require(json["targets"] as? [[String: Any]])
        return try targets.map { t in
            let products = (t["product_dependencies"] as? [String]) ?? []
            return Target(name: try #require(t["name"] as? String), path: try #require(t["path"] as? String),
                          declared: Set(((t["target_dependencies"] as? [String]) ?? []) + products))
        }
    }

    /// The modules the Swift files under `folder` import (`import X`, `@testable import X`,
    /// `@_spi(Testing) import X`, `import struct X.Y`), each with the first file that imports it.
    static func imports(under folder: URL) throws -> [String: String] {
        let pattern = try Regex(#"^\s*(?:@[\w]+(?:\([^)]*\))?\s+)*import\s+(?:(?:typealias|struct|class|enum|protocol|let|var|func)\s+)?([A-Za-z_]\w*)"#)
        var found: [String: String] = [:]
        let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        for file in files.sorted(by: { $0.path < $1.path }) where file.pathExtension == "swift" {
            // Lines inside multi-line string literals (a Python script a test runs) import nothing of Swift's.
            var insideString = false
            for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
                let wasInside = insideString
                if line.ranges(of: "\"\"\"").count % 2 == 1 { insideString.toggle() }
                guard !wasInside, let match = line.firstMatch(of: pattern), let module = match.output[1].substring else { continue }
                if found[String(module)] == nil { found[String(module)] = file.lastPathComponent }
            }
        }
        return found
    }

    @Test func everyTargetDeclaresWhatItImports() throws {
        let targets = try Self.targets()
        #expect(targets.count >= 10)
        var checked = 0
        for target in targets {
            for (module, file) in try Self.imports(under: Fixtures.packageRoot.appendingPathComponent(target.path)) {
                checked += 1
                guard !Self.systemModules.contains(module), module != target.name else { continue }
                #expect(target.declared.contains(module), "\(target.name) imports \(module) (\(file)) but Package.swift does not declare it")
            }
        }
        #expect(checked > 40)
    }
}
