import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Zips a charm tree the way charmcraft does: Unix permissions kept (dispatch and the runtime must stay
 * executable) and symbolic links stored as links (hooks/* -> ../dispatch), which Juju's unzip recreates.
 * java.util.zip cannot write Unix modes, so the central directory is patched after writing: "version made
 * by" says Unix and the external attributes carry the st_mode, as Info-ZIP and Go's archive/zip read them.
 *
 * Usage: java CharmZip.java <charm dir> <output .charm>
 */
public final class CharmZip {
    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFLNK = 0120000;
    private static final int MADE_BY_UNIX = 3;
    /** A fixed entry time keeps the archive byte-for-byte reproducible. */
    private static final long ENTRY_TIME = 946684800000L;

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args[0]);
        Path out = Path.of(args[1]);
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(root)) {
            paths = new ArrayList<>(walk.filter(p -> !p.equals(root)).sorted().toList());
        }
        Map<String, Integer> modes = new HashMap<>();
        try (OutputStream file = Files.newOutputStream(out); ZipOutputStream zip = new ZipOutputStream(file)) {
            for (Path path : paths) {
                String name = root.relativize(path).toString().replace('\\', '/');
                boolean link = Files.isSymbolicLink(path);
                boolean dir = !link && Files.isDirectory(path);
                if (dir) {
                    name += "/";
                }
                int type = link ? S_IFLNK : dir ? S_IFDIR : S_IFREG;
                modes.put(name, type | (link ? 0777 : permissions(path)));
                ZipEntry entry = new ZipEntry(name);
                entry.setTime(ENTRY_TIME);
                zip.putNextEntry(entry);
                if (link) {
                    zip.write(Files.readSymbolicLink(path).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                } else if (!dir) {
                    Files.copy(path, zip);
                }
                zip.closeEntry();
            }
        }
        markUnixModes(out, modes);
    }

    private static int permissions(Path path) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
        int mode = 0;
        for (PosixFilePermission p : perms) {
            mode |= switch (p) {
                case OWNER_READ -> 0400;
                case OWNER_WRITE -> 0200;
                case OWNER_EXECUTE -> 0100;
                case GROUP_READ -> 040;
                case GROUP_WRITE -> 020;
                case GROUP_EXECUTE -> 010;
                case OTHERS_READ -> 04;
                case OTHERS_WRITE -> 02;
                case OTHERS_EXECUTE -> 01;
            };
        }
        return mode;
    }

    /** Rewrites each central directory record: made by Unix, external attributes = st_mode << 16. */
    private static void markUnixModes(Path zipFile, Map<String, Integer> modes) throws IOException {
        byte[] bytes = Files.readAllBytes(zipFile);
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int eocd = bytes.length - 22;
        while (eocd >= 0 && buf.getInt(eocd) != 0x06054b50) {
            eocd--;
        }
        if (eocd < 0) {
            throw new IOException("no end of central directory in " + zipFile);
        }
        int count = Short.toUnsignedInt(buf.getShort(eocd + 10));
        int at = buf.getInt(eocd + 16);
        for (int i = 0; i < count; i++) {
            if (buf.getInt(at) != 0x02014b50) {
                throw new IOException("bad central directory record at " + at);
            }
            int nameLength = Short.toUnsignedInt(buf.getShort(at + 28));
            int extraLength = Short.toUnsignedInt(buf.getShort(at + 30));
            int commentLength = Short.toUnsignedInt(buf.getShort(at + 32));
            String name = new String(bytes, at + 46, nameLength, java.nio.charset.StandardCharsets.UTF_8);
            Integer mode = modes.get(name);
            if (mode == null) {
                throw new IOException("unexpected entry " + name);
            }
            bytes[at + 5] = MADE_BY_UNIX;
            buf.putInt(at + 38, mode << 16 | (name.endsWith("/") ? 0x10 : 0));
            at += 46 + nameLength + extraLength + commentLength;
        }
        Files.write(zipFile, bytes);
    }
}
