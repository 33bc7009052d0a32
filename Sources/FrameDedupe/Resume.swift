import Foundation

/// Whether `folder` already holds the complete results of `input` analysed with `options`, so a batch run
/// may skip it (resume).
///
/// True when `scenes.json` and `clusters.json` are there, of this schema version, marked complete, name the
/// same input (as given on the command line), record the same options (`options` in both, and the decode
/// mode), `report.html` is there when a report is asked for, and, for a local file, they are newer than the file. Anything unreadable or different is false: the
/// input is then analysed again, which is always safe. When true, a checkpoint left in the folder is removed.
public func completeResults(in folder: URL, input: String, options: DedupeOptions) -> Bool {
    guard input != "-" else { return false }  // what comes down a pipe may differ from last time
    func object(_ name: String) -> [String: Any]? {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent(name)) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
    /// The JSON text as the same parser reads it, so numbers compare as the files hold them.
    func parsed(_ value: JSONValue) -> Any? { try? JSONSerialization.jsonObject(with: Data(value.serialized().utf8)) }
    guard let scenes = object("scenes.json"), let clusters = object("clusters.json") else { return false }
    if options.report && !FileManager.default.fileExists(atPath: folder.appendingPathComponent("report.html").path) { return false }
    for file in [scenes, clusters] {
        guard file["version"] as? Int == SceneListWriter.schemaVersion, file["complete"] as? Bool == true,
              file["input"] as? String == input else { return false }
    }
    guard scenes["decode"] as? String == options.reader.decode.rawValue,
          let recorded = scenes["options"] as? NSDictionary, let expected = parsed(SceneListWriter.options(options)) as? NSDictionary,
          recorded.isEqual(expected),
          let recordedClusters = clusters["options"] as? NSDictionary, let expectedClusters = parsed(ClusterListWriter.options(options)) as? NSDictionary,
          recordedClusters.isEqual(expectedClusters) else { return false }
    if !input.contains("://") {
        let fm = FileManager.default
        guard let made = (try? fm.attributesOfItem(atPath: folder.appendingPathComponent("scenes.json").path))?[.modificationDate] as? Date,
              let changed = (try? fm.attributesOfItem(atPath: input))?[.modificationDate] as? Date,
              changed <= made else { return false }
    }
    // A checkpoint beside complete results is stale (a run killed after moving its results into place, before
    // removing it): nothing is left to resume.
    Checkpoint.remove(in: folder)
    return true
}
