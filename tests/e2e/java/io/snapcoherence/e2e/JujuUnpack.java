package io.snapcoherence.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Unpacks a .charm as Juju's unit agent does (juju/utils zip.ExtractAll): Unix permissions from the
 * external attributes, symbolic links recreated (relative and inside the charm only), file times NOT kept.
 */
final class JujuUnpack {
    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFLNK = 0120000;

    private JujuUnpack() {
    }

    static void unpack(Path charm, Path target) throws IOException {
        Map<String, Integer> modes = unixModes(charm);
        try (ZipFile zip = new ZipFile(charm.toFile())) {
            for (ZipEntry entry : Collections.list(zip.entries())) {
                Path path = target.resolve(entry.getName()).normalize();
                if (!path.startsWith(target)) {
                    throw new IOException("entry outside the charm: " + entry.getName());
                }
                int mode = modes.get(entry.getName());
                Files.createDirectories(path.getParent());
                switch (mode & S_IFMT) {
                    case S_IFDIR -> Files.createDirectories(path);
                    case S_IFLNK -> {
                        try (InputStream in = zip.getInputStream(entry)) {
                            Path link = Path.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                            if (link.isAbsolute() || !path.getParent().resolve(link).normalize().startsWith(target)) {
                                throw new IOException("symlink leads out of the charm: " + entry.getName());
                            }
                            Files.createSymbolicLink(path, link);
                        }
                    }
                    default -> {
                        try (InputStream in = zip.getInputStream(entry)) {
                            Files.copy(in, path);
                        }
                        Files.setPosixFilePermissions(path, permissions(mode));
                    }
                }
            }
        }
    }

    /** Entry name -> st_mode, from the central directory (java.util.zip does not expose it). */
    static Map<String, Integer> unixModes(Path charm) throws IOException {
        byte[] bytes = Files.readAllBytes(charm);
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int eocd = bytes.length - 22;
        while (eocd >= 0 && buf.getInt(eocd) != 0x06054b50) {
            eocd--;
        }
        if (eocd < 0) {
            throw new IOException("not a zip: " + charm);
        }
        int count = Short.toUnsignedInt(buf.getShort(eocd + 10));
        int at = buf.getInt(eocd + 16);
        Map<String, Integer> modes = new HashMap<>();
        for (int i = 0; i < count; i++) {
            int madeBy = Byte.toUnsignedInt(bytes[at + 5]);
            int nameLength = Short.toUnsignedInt(buf.getShort(at + 28));
            int extraLength = Short.toUnsignedInt(buf.getShort(at + 30));
            int commentLength = Short.toUnsignedInt(buf.getShort(at + 32));
            String name = new String(bytes, at + 46, nameLength, StandardCharsets.UTF_8);
            if (madeBy != 3) {
                throw new IOException(name + " carries no Unix mode (made by " + madeBy + ")");
            }
            modes.put(name, buf.getInt(at + 38) >>> 16);
            at += 46 + nameLength + extraLength + commentLength;
        }
        return modes;
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ,
        };
        for (int bit = 0; bit < order.length; bit++) {
            if ((mode & (1 << bit)) != 0) {
                perms.add(order[bit]);
            }
        }
        return perms;
    }
}
