import ArgumentParser
import FrameDedupe
print("hello")
