import Decoder
import Similarity
