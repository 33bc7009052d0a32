import Decoder
import Foundation

/// Whether `folder` already holds the complete results of `input` analysed with `options`, so a batch run
/// may skip it (resume).
///
/// True when `scenes.json` and `clusters.json` are there, of this schema version, marked complete, name the
/// same input (as given on the command line), record the same options (`options` in both — every member, as
/// this run writes them — and the decode mode), `report.html` is there when a report is asked for, and, for a
/// local input, they record its size and digest as it is now (``InputFileIdentity``). Anything unreadable or different is false: the input is then
/// analysed again, which is always safe. When true, a checkpoint left in the folder is removed.
public func completeResults(in folder: URL, input: String, options: DedupeOptions) -> Bool {
    guard input != "-" else { return false }  // what comes down a pipe may differ from last time
    let scenesURL = folder.appendingPathComponent(ResultsLayout.scenesFile), clustersURL = folder.appendingPathComponent(ResultsLayout.clustersFile)
    guard let scenesData = try? Data(contentsOf: scenesURL), let clustersData = try? Data(contentsOf: clustersURL),
          let scenes = try? JSONDecoder().decode(ScenesFile.self, from: scenesData),
          let clusters = try? JSONDecoder().decode(ClustersFile.self, from: clustersData) else { return false }
    if options.report && !FileManager.default.fileExists(atPath: folder.appendingPathComponent("report.html").path) { return false }
    guard scenes.version == ScenesFile.currentVersion, clusters.version == ClustersFile.currentVersion,
          scenes.complete, clusters.complete, scenes.input == FileSystemName.displayed(input), clusters.input == FileSystemName.displayed(input),
          scenes.decode == options.reader.decode.rawValue,
          sameOptions(scenes.options, membersIn: scenesData, key: ScenesFile.CodingKeys.options, as: AnalysisOptionsRecord(options)),
          sameOptions(clusters.options, membersIn: clustersData, key: ClustersFile.CodingKeys.options, as: ClusteringOptionsRecord(options))
    else { return false }
    // The same bytes as analysed (size and digest), not merely an older file: another video copied in with an old
    // date (cp -p, rsync -a, tar x) is analysed again.
    if !input.contains("://") {
        guard let recorded = scenes.inputFile, recorded == InputFileIdentity.of(input) else { return false }
    }
    // A checkpoint beside complete results is stale (a run killed after moving its results into place, before
    // removing it): nothing is left to resume. Unless another run is writing there now (it holds the folder's lock).
    if !OutputFolder.isInUse(folder) { Checkpoint.remove(in: folder) }
    return true
}

/// Whether `recorded` (options read from a results file) is what this run writes: equal to `expected` once that has
/// been through the file's number formatting, with every member in the file (`json`'s object at `key`) and none besides.
private func sameOptions<Record: Codable & Equatable, Key: CodingKey>(_ recorded: Record, membersIn json: Data, key: Key, as expected: Record) -> Bool {
    let written = JSONValue(encoding: expected)
    guard let asWritten = try? JSONDecoder().decode(Record.self, from: Data(written.serialized().utf8)), asWritten == recorded,
          let members = try? JSONDecoder().decode(MemberNames<Key>.self, from: json) else { return false }
    return members.names[key.stringValue] == Set(written.members.map(\.0))
}

/// The member names of the objects a JSON object holds at the keys `Key` names.
private struct MemberNames<Key: CodingKey>: Decodable {
    let names: [String: Set<String>]

    private struct AnyKey: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let object = try decoder.container(keyedBy: Key.self)
        var names: [String: Set<String>] = [:]
        for key in object.allKeys {
            if let members = try? object.nestedContainer(keyedBy: AnyKey.self, forKey: key) { names[key.stringValue] = Set(members.allKeys.map(\.stringValue)) }
        }
        self.names = names
    }
}
