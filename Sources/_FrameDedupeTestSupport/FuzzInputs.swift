import Foundation

extension Fixtures {
    /// The inputs of one `scripts/fuzz.sh` target: its seeds (`scripts/fuzz/seeds/<target>/`), then the inputs kept
    /// from its runs (`scripts/fuzz/regressions/<target>/`), each sorted by name.
    public static func fuzzInputs(_ target: String) -> [URL] {
        let fm = FileManager.default
        return ["scripts/fuzz/seeds/\(target)", "scripts/fuzz/regressions/\(target)"].flatMap { dir -> [URL] in
            let folder = packageRoot.appendingPathComponent(dir)
            return ((try? fm.contentsOfDirectory(atPath: folder.path)) ?? []).sorted().map { folder.appendingPathComponent($0) }
        }
    }
}
