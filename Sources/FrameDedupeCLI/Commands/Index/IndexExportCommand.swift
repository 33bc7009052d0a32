import ArgumentParser
import Corpus
import Decoder
import Foundation
import FrameDedupe

struct IndexExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every indexed scene as JSON Lines or CSV (one flat column per embedding value: loads straight into Parquet).",
        discussion: """
            Columns: file, sha256, size, scene, start, end, keyframe_time, keyframe, phash (16 hex digits), cluster (the \
            index's cluster id, empty before 'index dedupe'), then the embedding: jsonl as one array 'embedding', csv as \
            e0 to e1279.
            """)

    @OptionGroup var location: IndexLocation

    @Option(help: ArgumentHelp("jsonl or csv.", valueName: "jsonl|csv"))
    var format: ExportFormat = .jsonl

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Output file, or '-' for standard output.", valueName: "file"))
    var output: String = "-"

    @Flag(help: "Leave the embeddings out.")
    var noEmbeddings = false

    enum ExportFormat: String, ExpressibleByArgument, CaseIterable { case jsonl, csv }

    func run() throws {
        try InputGuard.refuseOutputs([("-o", output)], naming: location.files)
        let index = try location.open(.read)
        let rows = try reporting(.inputUnreadable) { () throws(IndexError) in try index.scenes() }
        let file: AtomicFile?
        do { file = output == "-" ? nil : try AtomicFile(url: URL(fileURLWithPath: output)) } catch {
            Terminal.error(error.description)
            throw Failure(status: .outputUnwritable)
        }
        func emit(_ line: String) throws(OutputError) {
            if let file { try file.write(line + "\n") } else { try StandardOutput.writeLine(line) }
        }
        func csvField(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        do {
            let dimension = rows.first?.scene.embedding.count ?? 0
            if format == .csv {
                var header = "file,sha256,size,scene,start,end,keyframe_time,keyframe,phash,cluster"
                if !noEmbeddings { header += (0..<dimension).map { ",e\($0)" }.joined() }
                try emit(header)
            }
            for r in rows {
                let keyframe = r.scene.keyframePath.map { index.keyframeRoot.appendingPathComponent($0).path }
                let hash = r.scene.perceptualHash.map { String(format: "%016llx", $0) }
                switch format {
                case .jsonl:
                    var members: [(String, JSONValue)] = [
                        ("file", .string(FileSystemName.displayed(r.video.path))), ("sha256", .string(r.video.sha256)), ("size", .int(Int(r.video.size))),
                        ("scene", .int(r.scene.number)), ("start", .seconds(r.scene.start)), ("end", .seconds(r.scene.end)),
                        ("keyframe_time", .seconds(r.scene.keyframeTime)), ("keyframe", keyframe.map { .string($0) } ?? .null),
                        ("phash", hash.map { .string($0) } ?? .null), ("cluster", r.cluster.map { .int($0) } ?? .null),
                    ]
                    if !noEmbeddings { members.append(("embedding", .array(r.scene.embedding.map { .number(Double($0), decimals: 7) }))) }
                    try emit(JSONValue.object(members).serialized(pretty: false))
                case .csv:
                    var fields = [csvField(FileSystemName.displayed(r.video.path)), r.video.sha256, String(r.video.size), String(r.scene.number),
                                  formatted(r.scene.start), formatted(r.scene.end), formatted(r.scene.keyframeTime),
                                  csvField(keyframe ?? ""), hash ?? "", r.cluster.map { String($0) } ?? ""]
                    if !noEmbeddings { fields += r.scene.embedding.map { String($0) } }
                    try emit(fields.joined(separator: ","))
                }
            }
            try file?.finish()
        } catch {
            if error.isClosedStandardOutput { return }
            Terminal.error(error.description)
            throw Failure(status: .outputUnwritable)
        }
    }

    func formatted(_ seconds: Double) -> String { String(format: "%.6f", seconds) }
}
