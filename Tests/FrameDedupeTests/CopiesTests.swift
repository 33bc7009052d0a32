import Foundation
@testable import FrameDedupe
import Similarity
import Testing
import _FrameDedupeTestSupport

/// Issue 17 through the clustering of a real run: copies of one picture (with bars, cropped) join; look-alikes (two
/// regions of one photograph, a zoom on a corner) stay apart; each scene records the picture inside its bars.
/// The cosine distance of two embeddings.
private func cosineDistance(_ a: [Float], _ b: [Float]) -> Double {
    var dot = 0.0, na = 0.0, nb = 0.0
    for k in a.indices { dot += Double(a[k]) * Double(b[k]); na += Double(a[k]) * Double(a[k]); nb += Double(b[k]) * Double(b[k]) }
    return 1 - dot / (na * nb).squareRoot()
}

/// A default clustering option.
private func options<T>(_ path: KeyPath<ClusterOptions, T>) -> T { ClusterOptions()[keyPath: path] }

@Suite("Copies and look-alikes in a run", .temporaryFolders)
struct CopiesTests {
    @Test func copiesWithBarsJoinAndLookAlikesStayApart() throws {
        let list = try findScenes(input: Fixtures.copiesClip().path, options: DedupeOptions(), output: nil)
        let names = Fixtures.copiesClipScenes
        #expect(list.scenes.count == names.count, "\(list.scenes.map(\.start))")
        guard list.scenes.count == names.count else { return }
        let cluster = list.clusters.clusterOfScene
        let x = names.indices.filter { names[$0].hasPrefix("X") }
        #expect(Set(x.map { cluster[$0] }).count == 1, "windowbox, pillarbox and letterbox copies must join X: \(cluster)")
        let others = names.indices.filter { !names[$0].hasPrefix("X") }
        #expect(Set((others + [x[0]]).map { cluster[$0] }).count == others.count + 1, "look-alikes stay apart: \(cluster)")
        for (scene, area) in zip(list.scenes, Fixtures.copiesClipActiveAreas) {
            let found = try #require(scene.activeArea)
            let expected = PictureRect(x: area.0, y: area.1, width: area.2, height: area.3)
            // Within the analysis scale's rounding (640×360 analysed at 455×256: 1.4 pixels a step, rounded outwards).
            #expect(abs(found.x - expected.x) <= 3 && abs(found.y - expected.y) <= 3 && abs(found.width - expected.width) <= 5
                    && abs(found.height - expected.height) <= 5, "\(names[scene.id]): \(found) vs \(expected)")
        }
        // Verifying each scene with its single nearest scene only: at most one verification a scene.
        var capped = ClusterOptions()
        capped.verifiedNeighbours = 1
        let few = clusterScenes(try list.scenesWithLocalFeatures(), options: capped)
        #expect(few.verifiedPairs <= list.scenes.count && few.verifiedPairs < list.clusters.verifiedPairs,
                "\(few.verifiedPairs) of \(list.clusters.verifiedPairs) pairs verified")
        // Without the geometric check, the zoom on the cup's corner is not told from the cup by the 3×3 grids.
        var options = DedupeOptions()
        options.clustering.geometricCheck = false
        let unchecked = try findScenes(input: Fixtures.copiesClip().path, options: options, output: nil)
        #expect(unchecked.clusters.clusters.count <= list.clusters.clusters.count, "\(unchecked.clusters.clusterOfScene)")
    }

    /// The same broadcast graphics on six different pictures (two of them regions of one photograph) and one of the
    /// pictures again without them: the graphics' keypoints are static (``StaticGraphics``) and count for nothing, so
    /// the picture joins its copy without graphics and the two regions stay apart.
    @Test func staticGraphicsAreNoEvidenceOfACopy() throws {
        let list = try findScenes(input: Fixtures.overlayClip().path, options: DedupeOptions(), output: nil)
        let names = Fixtures.overlayClipScenes
        #expect(list.scenes.count == names.count, "\(list.scenes.map(\.start))")
        guard list.scenes.count == names.count else { return }
        let cluster = list.clusters.clusterOfScene
        let x = names.indices.filter { names[$0].hasPrefix("X") }
        #expect(cluster[x[0]] == cluster[x[1]], "the cup with and without graphics must join: \(cluster)")
        let others = names.indices.filter { !names[$0].hasPrefix("X") }
        #expect(Set((others + [x[0]]).map { cluster[$0] }).count == others.count + 1, "different pictures under one overlay stay apart: \(cluster)")
        // At the verifier: the graphics alone make the two regions of the rocket photograph one transform apart
        // (the identity) by the first four constants of the rule; without the graphics' keypoints they are not.
        let features = try list.scenesWithLocalFeatures().map(\.features)
        let withoutGraphics = StaticGraphics.removingStatic(features) { i, j in
            cosineDistance(list.scenes[i].embedding!, list.scenes[j].embedding!) > options(\.copyRadius)
        }
        let verifier = GeometricVerifier()
        var firstRule = GeometricVerifier.Rule.standard
        firstRule.minimumCellCoverage = 0
        let (l, r) = (names.firstIndex { $0.hasPrefix("L") }!, names.firstIndex { $0.hasPrefix("R") }!)
        let counted = verifier.verify(try #require(features[l]), try #require(features[r]))
        #expect(firstRule.isCopy(counted), "with the graphics: \(counted)")
        let left = try #require(withoutGraphics[l]), right = try #require(withoutGraphics[r])
        #expect(!firstRule.isCopy(verifier.verify(left, right)), "without the graphics: \(verifier.verify(left, right))")
        for (k, name) in names.enumerated() {
            let removed = features[k]!.count - withoutGraphics[k]!.count
            #expect(name.hasSuffix("no graphics") ? removed == 0 : removed >= 50, "\(name): \(removed) keypoints left out")
            // A stripped copy is made at its size (they are held for every scene while clusters form; appended
            // keypoint by keypoint they were up to twice as large), and nothing to strip makes no copy.
            let kept = withoutGraphics[k]!
            #expect(kept.x.capacity - kept.count < 16 && kept.y.capacity - kept.count < 16, "\(name): capacity \(kept.x.capacity) for \(kept.count)")
            #expect(features[k]!.removing(nil) == features[k]!)
            #expect(features[k]!.removing([Bool](repeating: false, count: features[k]!.count)) == features[k]!)
        }
    }
}
