#!/usr/bin/env python3
"""Write the small seed corpus of fuzz/fuzz_dicom.c into fuzz/corpus/dicom/.

Run with Debian's python3 (python3-pydicom, python3-numpy):
    /usr/bin/python3 fuzz/make_dicom_corpus.py
Every seed is a few hundred bytes: tiny images of the kinds carm reads
(CT slice in several transfer syntaxes, Enhanced CT with functional groups,
XA run with positioner angles, binary SEG, RGB Secondary Capture) plus a
few broken ones. UIDs are fixed so that the files are reproducible.
"""
import os

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian,
                         DeflatedExplicitVRLittleEndian, RLELossless)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "dicom")
ROOT = "1.2.826.0.1.3680043.10.1234."


def base(sop_class, modality, n):
    ds = Dataset()
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = ROOT + str(n)
    ds.StudyInstanceUID = ROOT + "100"
    ds.SeriesInstanceUID = ROOT + "200." + str(n)
    ds.FrameOfReferenceUID = ROOT + "300"
    ds.Modality = modality
    ds.PatientName = "Seed^Test"
    ds.PatientID = "S1"
    return ds


def pixels(ds, arr, bits=16, signed=True):
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = arr.shape[-2], arr.shape[-1]
    ds.BitsAllocated = bits
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 1 if signed else 0
    dt = {(16, True): "<i2", (16, False): "<u2", (8, False): "u1"}[(bits, signed)]
    ds.PixelData = arr.astype(dt).tobytes()


def save(ds, name, ts=ExplicitVRLittleEndian):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian if ts == RLELossless else ts
    ds.file_meta = meta
    ds.is_little_endian = ts != ExplicitVRBigEndian
    ds.is_implicit_VR = ts == ImplicitVRLittleEndian
    if ts == RLELossless:
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.compress(RLELossless)
    path = os.path.join(OUT, name)
    ds.save_as(path, write_like_original=False)
    return path


def ct_slice(n, z=0.0):
    ds = base("1.2.840.10008.5.1.4.1.1.2", "CT", n)
    ds.ImagePositionPatient = [-4.0, -4.0, z]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [0.5, 0.5]
    ds.RescaleSlope = 1
    ds.RescaleIntercept = -1024
    pixels(ds, (np.arange(64).reshape(8, 8) * 37) % 2000)
    return ds


def main():
    os.makedirs(OUT, exist_ok=True)
    save(ct_slice(1), "ct_explicit.dcm")
    save(ct_slice(2), "ct_implicit.dcm", ImplicitVRLittleEndian)
    save(ct_slice(3), "ct_big_endian.dcm", ExplicitVRBigEndian)
    save(ct_slice(4), "ct_deflated.dcm", DeflatedExplicitVRLittleEndian)
    save(ct_slice(5), "ct_rle.dcm", RLELossless)

    # Enhanced CT: 2 frames, per-frame positions and rescale
    ds = base("1.2.840.10008.5.1.4.1.1.2.1", "CT", 6)
    ds.NumberOfFrames = 2
    pixels(ds, np.arange(32).reshape(2, 4, 4))
    shared = Dataset()
    pm = Dataset()
    pm.PixelSpacing = [0.7, 0.7]
    pm.SliceThickness = 2
    po = Dataset()
    po.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    shared.PixelMeasuresSequence = Sequence([pm])
    shared.PlaneOrientationSequence = Sequence([po])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    frames = []
    for k in range(2):
        f = Dataset()
        pp = Dataset()
        pp.ImagePositionPatient = [0.0, 0.0, 5.0 - 2.0 * k]
        pv = Dataset()
        pv.RescaleSlope = 1
        pv.RescaleIntercept = -1024 + k
        pv.RescaleType = "HU"
        f.PlanePositionSequence = Sequence([pp])
        f.PixelValueTransformationSequence = Sequence([pv])
        frames.append(f)
    ds.PerFrameFunctionalGroupsSequence = Sequence(frames)
    save(ds, "enhanced_ct.dcm")

    # XA: 3 frames with positioner angles and per-frame increments
    ds = base("1.2.840.10008.5.1.4.1.1.12.1", "XA", 7)
    ds.NumberOfFrames = 3
    ds.PositionerPrimaryAngle = -30
    ds.PositionerSecondaryAngle = 5
    ds.PositionerPrimaryAngleIncrement = [0, 1.5, 1.5]
    ds.PositionerSecondaryAngleIncrement = [0, 0, 0]
    ds.DistanceSourceToDetector = 1200
    ds.DistanceSourceToPatient = 785
    ds.ImagerPixelSpacing = [0.3, 0.3]
    ds.FrameTimeVector = [0, 33, 33]
    ds.FrameIncrementPointer = 0x00181065
    pixels(ds, np.arange(192).reshape(3, 8, 8) % 256, bits=8, signed=False)
    save(ds, "xa_run.dcm")

    # SEG: 2 binary frames 8x8
    ds = base("1.2.840.10008.5.1.4.1.1.66.4", "SEG", 8)
    ds.NumberOfFrames = 2
    ds.SegmentationType = "BINARY"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = 8
    ds.BitsAllocated = ds.BitsStored = 1
    ds.HighBit = 0
    ds.PixelRepresentation = 0
    ds.PixelData = np.packbits(np.eye(8, dtype=np.uint8).ravel().repeat(1).tolist() * 2,
                               bitorder="little").tobytes()
    seg = Dataset()
    seg.SegmentNumber = 1
    seg.SegmentLabel = "Label 1"
    ds.SegmentSequence = Sequence([seg])
    shared = Dataset()
    shared.PixelMeasuresSequence = Sequence([pm])
    shared.PlaneOrientationSequence = Sequence([po])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    frames = []
    for k in range(2):
        f = Dataset()
        pp = Dataset()
        pp.ImagePositionPatient = [0.0, 0.0, 2.0 * k]
        si = Dataset()
        si.ReferencedSegmentNumber = 1
        f.PlanePositionSequence = Sequence([pp])
        f.SegmentIdentificationSequence = Sequence([si])
        frames.append(f)
    ds.PerFrameFunctionalGroupsSequence = Sequence(frames)
    save(ds, "seg_binary.dcm")

    # RGB Secondary Capture 4x4
    ds = base("1.2.840.10008.5.1.4.1.1.7", "OT", 9)
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "RGB"
    ds.PlanarConfiguration = 0
    ds.Rows = ds.Columns = 4
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = bytes(range(48))
    save(ds, "sc_rgb.dcm")

    # broken seeds: truncated, and rows larger than the pixel data
    good = open(os.path.join(OUT, "ct_explicit.dcm"), "rb").read()
    open(os.path.join(OUT, "ct_truncated.dcm"), "wb").write(good[: len(good) * 2 // 3])
    ds = ct_slice(10)
    ds.Rows = 4000
    save(ds, "ct_rows_too_large.dcm")
    for name in sorted(os.listdir(OUT)):
        print(name, os.path.getsize(os.path.join(OUT, name)))


if __name__ == "__main__":
    main()
