import Foundation
import FrameDedupe
import Testing
import _FrameDedupeTestSupport

/// The results types' own rules, without video: image names, and the layout `json` gives the schema types.
@Suite("Results types: image names and JSON layout", .temporaryFolders)
struct ResultsTypesTests {
    @Test func imageNamesFormatAndParseBack() throws {
        let name = ImageName(kind: .scene, id: 7, seconds: 12.5, fileExtension: "jpg")
        #expect(name.description == "scene-0007_t000012.500.jpg")
        #expect(ImageName(kind: .cluster, id: 12345, seconds: 1_234_567.25, fileExtension: "png").description == "cluster-12345_t1234567.250.png")
        // Times are written to the millisecond, never below 0.
        #expect(ImageName(kind: .cluster, id: 3, seconds: -0.2, fileExtension: "jpg").description == "cluster-0003_t000000.000.jpg")
        #expect(ImageName(kind: .cluster, id: 3, seconds: 2.4804, fileExtension: "jpg").description == "cluster-0003_t000002.480.jpg")
        #expect(ImageName(parsing: "scene-0007_t000012.500.jpg") == name)
        let parsed = try #require(ImageName(parsing: "cluster-12345_t1234567.250.png"))
        #expect(parsed.kind == .cluster && parsed.id == 12345 && parsed.seconds == 1_234_567.25 && parsed.fileExtension == "png")
        for bad in ["notes.txt", "cluster-0001_t.jpg", "cluster-0001_t12a.jpg", "cluster-0001.jpg", "t000001.000", "frame-0001_t000001.000.jpg",
                    "cluster-_t000001.000.jpg", "cluster-0001_t000001.000.", "cluster-0001_t1.2.3.jpg"] {
            #expect(ImageName(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func filesAreWrittenInTheirLayout() throws {
        // Read with JSONDecoder, written back by `json`: numbers rounded (sharpness to 3 decimals, others to 6, trailing
        // zeros dropped), an absent `source` left out, other absent values null, one cluster per line (its arrays without spaces).
        let options = #"{"cluster_threshold": 0.35, "linkage": "average", "alpha": 0.0, "time_scale": 60, "content": "embedding", "#
            + #""spatial_check": true, "geometric_check": true, "copy_radius": 0.45, "grid_threshold": 0.22, "mirrored_match": true, "shifted_match": true, "min_cluster_size": 1, "#
            + #""pca": 0, "keep": "cluster", "dendrogram": false}"#
        let exemplar = #"{"scene": 0, "index": 0, "pts": 0, "time": 0.00000049, "path": "unique/x.jpg", "centrality": 1.0, "#
            + #""sharpness": 0.12345, "exposure": 0.5, "source": "photos/a.jpg"}"#
        let text = #"{"version": 1, "input": "a.mp4", "options": "# + options + #", "spatial_check_vetoes": 0, "copy_joins": 1, "#
            + #""principal_components_used": 0, "complete": true, "clusters": [{"id": 0, "scenes": [0, 2], "frames": 8, "#
            + #""span": [0, 6.5], "singleton": false, "exemplar": "# + exemplar + "}]}"
        let file = try JSONDecoder().decode(ClustersFile.self, from: Data(text.utf8))
        #expect(file.clusters.first?.exemplar.keyframePath == nil && file.options.diversity == nil)
        #expect(file.json == """
            {
              "version": 1,
              "input": "a.mp4",
              "options": {
                "cluster_threshold": 0.35,
                "linkage": "average",
                "alpha": 0,
                "time_scale": 60,
                "content": "embedding",
                "spatial_check": true,
                "geometric_check": true,
                "copy_radius": 0.45,
                "grid_threshold": 0.22,
                "mirrored_match": true,
                "shifted_match": true,
                "min_cluster_size": 1,
                "pca": 0,
                "keep": "cluster",
                "diversity": null,
                "dendrogram": false
              },
              "spatial_check_vetoes": 0,
              "copy_joins": 1,
              "principal_components_used": 0,
              "complete": true,
              "clusters": [
                {"id": 0, "scenes": [0,2], "frames": 8, "span": [0,6.5], "singleton": false, "exemplar": {"scene": 0, "index": 0, "pts": 0, "time": 0, "path": "unique/x.jpg", "keyframe_path": null, "centrality": 1, "sharpness": 0.123, "exposure": 0.5, "source": "photos/a.jpg"}}
              ]
            }

            """)
        #expect(file.options.jsonLine.hasPrefix(#"{"cluster_threshold": 0.35, "linkage": "average", "alpha": 0, "#))
        var withoutSource = file
        withoutSource.clusters[0].exemplar.source = nil
        #expect(!withoutSource.json.contains("source"))
        #expect(try JSONDecoder().decode(ClustersFile.self, from: Data(withoutSource.json.utf8)).json == withoutSource.json)
    }
}
