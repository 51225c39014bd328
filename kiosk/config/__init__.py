"""The venue configuration: typed, strict models loaded from YAML (config/venue.example.yaml).

One module per section of the file; `root` holds the whole and `load_config`. This face
re-exports what the rest of the kiosk reads, so a section can move without its readers.
"""

from __future__ import annotations

from kiosk.config.base import Strict, small_file
from kiosk.config.camera import (
    CameraConfig,
    NoCameraConfig,
    OpenCVCameraConfig,
    Picamera2CameraConfig,
    ReplayCameraConfig,
)
from kiosk.config.decoder import DecoderConfig, PyzbarDecoderConfig, ZxingDecoderConfig
from kiosk.config.display import DisplayConfig, SoundConfig
from kiosk.config.door import (
    CredentialConfig,
    DoorConfig,
    HookConfig,
    OsdpConfig,
    RelayConfig,
    WiegandConfig,
)
from kiosk.config.guard import GuardConfig
from kiosk.config.peers import PeersConfig, split_host_port
from kiosk.config.policy import AntiPassbackConfig, DccRules, OpeningHours, PolicyConfig
from kiosk.config.readers import (
    HidReaderConfig,
    ReaderConfig,
    ReplayReaderConfig,
    SerialReaderConfig,
)
from kiosk.config.registry import RegistryConfig
from kiosk.config.root import Config, load_config
from kiosk.config.storage import StorageConfig
from kiosk.config.trust import TrustConfig
from kiosk.config.venue import KioskConfig, VenueConfig

__all__ = [
    "AntiPassbackConfig",
    "CameraConfig",
    "Config",
    "CredentialConfig",
    "DccRules",
    "DecoderConfig",
    "DisplayConfig",
    "DoorConfig",
    "GuardConfig",
    "HidReaderConfig",
    "HookConfig",
    "KioskConfig",
    "NoCameraConfig",
    "OpenCVCameraConfig",
    "OpeningHours",
    "OsdpConfig",
    "PeersConfig",
    "Picamera2CameraConfig",
    "PolicyConfig",
    "PyzbarDecoderConfig",
    "ReaderConfig",
    "RegistryConfig",
    "RelayConfig",
    "ReplayCameraConfig",
    "ReplayReaderConfig",
    "SerialReaderConfig",
    "SoundConfig",
    "StorageConfig",
    "Strict",
    "TrustConfig",
    "VenueConfig",
    "WiegandConfig",
    "ZxingDecoderConfig",
    "load_config",
    "small_file",
    "split_host_port",
]
