"""Cross-video deduplication on Apache Spark: the per-video analysis on the executors through the framededupe binary,
the global step with Spark MLlib.

1. The video paths are distributed (one partition per few videos) and piped through scenes_of_video.sh
   (RDD.pipe), which runs `framededupe index add` and `index export` per video: one JSON record per scene, with
   its L2-normalised embedding. The records are written as Parquet (scenes.parquet).
2. Cross-video near-duplicates: BucketedRandomProjectionLSH on the embeddings (Euclidean distance between unit
   vectors; cosine distance T is Euclidean sqrt(2T)) and approxSimilarityJoin of the scenes with themselves.
3. Corpus clusters: connected components of the joined pairs, by iterative min-label propagation in DataFrames
   (GraphFrames needs a package from outside PyPI; this needs nothing beyond pyspark).

Written: OUT/scenes.parquet, OUT/pairs.parquet, OUT/clusters.parquet (sha256, scene, cluster) and
OUT/corpus-clusters.json (clusters as lists of {file, sha256, scene, start, end}, the same shape as
`framededupe index dedupe` writes, without exemplars).

Usage (local):   spark-submit corpus_dedupe.py --videos videos.txt --out result/ --threshold 0.15
On a cluster:    ship the binary and the script with the job, e.g.
                 spark-submit --master yarn --files framededupe,scenes_of_video.sh corpus_dedupe.py \
                     --videos hdfs:///lists/videos.txt --out hdfs:///dedupe/ --binary ./framededupe \
                     --pipe ./scenes_of_video.sh
                 (the video paths must be readable from the executors: a shared file system, or a FUSE mount).
"""
import argparse
import json
import math
import os

from pyspark.ml.feature import BucketedRandomProjectionLSH
from pyspark.ml.linalg import Vectors, VectorUDT
from pyspark.sql import SparkSession, functions as F


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--videos", required=True, help="a text file of video paths, one a line")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--threshold", type=float, default=0.15, help="cosine distance below which scenes are linked (as index dedupe)")
    p.add_argument("--binary", default="framededupe", help="the framededupe binary on the executors")
    p.add_argument("--pipe", default=os.path.join(here, "scenes_of_video.sh"), help="the per-video script on the executors")
    p.add_argument("--videos-per-partition", type=int, default=2)
    p.add_argument("--bucket-length", type=float, default=None, help="LSH bucket length (default: 2 x the Euclidean threshold)")
    p.add_argument("--hash-tables", type=int, default=12, help="LSH hash tables (more: higher recall, more candidate pairs)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--pairs-json", action="store_true", help="also write the linked pairs to OUT/pairs.json (small corpora: for checking)")
    args = p.parse_args()

    spark = SparkSession.builder.appName("framededupe-corpus").getOrCreate()
    sc = spark.sparkContext
    videos = [line.strip() for line in sc.textFile(args.videos).collect() if line.strip()]
    partitions = max(1, math.ceil(len(videos) / args.videos_per_partition))

    # 1. Per video, on the executors.
    env = {"FRAMEDEDUPE": args.binary}
    records = sc.parallelize(videos, partitions).pipe(args.pipe, env=env)
    to_vector = F.udf(lambda values: Vectors.dense(values), VectorUDT())  # (pyspark.ml.functions.array_to_vector needs pandas)
    scenes = spark.read.json(records).withColumn("features", to_vector("embedding")).drop("embedding", "cluster")
    scenes = scenes.withColumn("id", F.concat_ws("#", "sha256", F.col("scene").cast("string"))).cache()
    scenes.write.mode("overwrite").parquet(os.path.join(args.out, "scenes.parquet"))

    # 2. The global join: LSH on unit vectors, Euclidean threshold sqrt(2T).
    radius = math.sqrt(2 * args.threshold)
    lsh = BucketedRandomProjectionLSH(inputCol="features", outputCol="hashes", seed=args.seed,
                                      bucketLength=args.bucket_length or 2 * radius, numHashTables=args.hash_tables)
    model = lsh.fit(scenes)
    pairs = (model.approxSimilarityJoin(scenes, scenes, radius * (1 - 1e-9), distCol="distance")
             .select(F.col("datasetA.id").alias("a"), F.col("datasetB.id").alias("b"), "distance")
             .where(F.col("a") < F.col("b")))
    pairs = pairs.where(1 - F.col("distance") ** 2 / 2 > 1 - args.threshold).cache()  # cosine distance < T, as the index
    pairs.write.mode("overwrite").parquet(os.path.join(args.out, "pairs.parquet"))

    # 3. Connected components: every scene takes the smallest label among itself and its neighbours until nothing changes.
    edges = pairs.select("a", "b").union(pairs.select(F.col("b").alias("a"), F.col("a").alias("b"))).cache()
    labels = scenes.select(F.col("id"), F.col("id").alias("label"))
    while True:
        proposed = (edges.join(labels, edges.b == labels.id).select(edges.a.alias("id"), F.col("label"))
                    .union(labels).groupBy("id").agg(F.min("label").alias("label")))
        changed = proposed.join(labels.withColumnRenamed("label", "old"), "id").where(F.col("label") != F.col("old")).count()
        labels = proposed.localCheckpoint()
        if changed == 0:
            break
    clusters = scenes.join(labels, "id").select("file", "sha256", "scene", "start", "end", F.col("label").alias("cluster"))
    clusters.write.mode("overwrite").parquet(os.path.join(args.out, "clusters.parquet"))

    groups = {}
    for r in clusters.orderBy("cluster", "file", "scene").collect():
        groups.setdefault(r["cluster"], []).append({"file": r["file"], "sha256": r["sha256"], "scene": r["scene"], "start": r["start"], "end": r["end"]})
    document = {"version": 1, "threshold": args.threshold, "videos": len(videos), "scenes": scenes.count(),
                "pairs": pairs.count(), "clusters": [{"id": i, "size": len(m), "scenes": m} for i, m in enumerate(groups.values())]}
    if "://" not in args.out:  # a local folder: the JSON beside the Parquet (on HDFS/S3, read clusters.parquet)
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "corpus-clusters.json"), "w") as f:
            json.dump(document, f, indent=1)
        if args.pairs_json:
            with open(os.path.join(args.out, "pairs.json"), "w") as f:
                json.dump([[r["a"], r["b"], r["distance"]] for r in pairs.collect()], f)
    spark.stop()


if __name__ == "__main__":
    main()
