// Cross-video deduplication: a persistent index of scenes from many videos (issue 8).
import FrameDedupe
import GRDB
