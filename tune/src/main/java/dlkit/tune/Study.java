package dlkit.tune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.DlkitException;
import dlkit.config.Json;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * A study's trials in an SQLite database ({@code DIR/study.db}, write-ahead log on): what makes a study resumable
 * after {@code kill -9} and shared by several worker processes. Every change that decides which trial runs next
 * happens in one {@code BEGIN IMMEDIATE} transaction ({@link #transaction}), so two workers never take the same
 * trial and none is lost; a worker is {@code host:pid}, so a trial left RUNNING by a dead process is taken up again.
 */
public final class Study implements AutoCloseable {
    private final Connection db;
    private final Path file;
    private final String worker;

    private Study(Connection db, Path file) {
        this.db = db;
        this.file = file;
        this.worker = host() + ":" + ProcessHandle.current().pid();
    }

    /**
     * Opens (creating) the study in {@code file}. {@code spec} identifies what it searches (the space, algorithm,
     * objective, budget and the base config): a database holding another study is refused, not mixed.
     */
    public static @NonNull Study open(@NonNull Path file, @NonNull String spec) {
        try {
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA busy_timeout = 60000");
                s.execute("PRAGMA journal_mode = WAL");
                s.execute("PRAGMA synchronous = NORMAL");
            }
            Study study = new Study(c, file);
            study.transaction(() -> {
                try (Statement s = c.createStatement()) {
                    s.execute("CREATE TABLE IF NOT EXISTS study (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
                    s.execute("CREATE TABLE IF NOT EXISTS trials (number INTEGER PRIMARY KEY, state TEXT NOT NULL, params TEXT NOT NULL, "
                            + "epochs INTEGER NOT NULL, bracket INTEGER, rung INTEGER, parent INTEGER, value REAL, best_epoch INTEGER, "
                            + "epochs_run INTEGER NOT NULL DEFAULT 0, seconds REAL NOT NULL DEFAULT 0, worker TEXT, starts INTEGER NOT NULL DEFAULT 0, message TEXT)");
                    s.execute("CREATE TABLE IF NOT EXISTS epoch_values (trial INTEGER NOT NULL, epoch INTEGER NOT NULL, value REAL NOT NULL, "
                            + "PRIMARY KEY (trial, epoch))");
                }
                String had = study.meta("spec");
                if (had == null) {
                    study.putMeta("spec", spec);
                    study.putMeta("started_ms", String.valueOf(System.currentTimeMillis()));
                } else if (!had.equals(spec)) {
                    throw new DlkitException(file + " holds a study of another search (space, algorithm, objective, budget or base config "
                            + "differ); use another --output, or delete it to start over");
                }
                return null;
            });
            return study;
        } catch (SQLException e) {
            throw new DlkitException(file + ": cannot open the study database: " + e.getMessage(), e);
        }
    }

    public @NonNull Path file() {
        return file;
    }

    /** This process as the database names workers: {@code host:pid}. */
    public @NonNull String worker() {
        return worker;
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    @FunctionalInterface
    public interface Work<T> {
        T run() throws SQLException;
    }

    /** Runs {@code work} as one write transaction (others wait for it); rolled back if it throws. */
    public synchronized <T> T transaction(@NonNull Work<T> work) {
        try (Statement s = db.createStatement()) {
            s.execute("BEGIN IMMEDIATE");
            try {
                T out = work.run();
                s.execute("COMMIT");
                return out;
            } catch (RuntimeException | SQLException e) {
                s.execute("ROLLBACK");
                throw e;
            }
        } catch (SQLException e) {
            throw new DlkitException(file + ": study database: " + e.getMessage(), e);
        }
    }

    @Nullable String meta(String key) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT value FROM study WHERE key = ?")) {
            p.setString(1, key);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? r.getString(1) : null;
            }
        }
    }

    void putMeta(String key, String value) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("INSERT OR REPLACE INTO study (key, value) VALUES (?, ?)")) {
            p.setString(1, key);
            p.setString(2, value);
            p.executeUpdate();
        }
    }

    /** When the study first started (epoch milliseconds): the wall-time budget counts from it. */
    public long startedMillis() {
        return transaction(() -> Long.parseLong(meta("started_ms")));
    }

    /** Every trial, by number, with its per-epoch history. */
    public synchronized @NonNull List<Trial> trials() {
        try {
            Map<Integer, List<Double>> history = new HashMap<>();
            try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("SELECT trial, value FROM epoch_values ORDER BY trial, epoch")) {
                while (r.next()) {
                    history.computeIfAbsent(r.getInt(1), k -> new ArrayList<>()).add(r.getDouble(2));
                }
            }
            List<Trial> out = new ArrayList<>();
            try (Statement s = db.createStatement();
                 ResultSet r = s.executeQuery("SELECT number, state, params, epochs, bracket, rung, parent, value, best_epoch, epochs_run, seconds, message "
                         + "FROM trials ORDER BY number")) {
                while (r.next()) {
                    int n = r.getInt(1);
                    out.add(new Trial(n, Trial.State.valueOf(r.getString(2)), params(r.getString(3)), r.getInt(4), integer(r, 5), integer(r, 6),
                            integer(r, 7), real(r, 8), integer(r, 9), r.getInt(10), r.getDouble(11), r.getString(12),
                            List.copyOf(history.getOrDefault(n, List.of()))));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new DlkitException(file + ": study database: " + e.getMessage(), e);
        }
    }

    private static @Nullable Integer integer(ResultSet r, int col) throws SQLException {
        int v = r.getInt(col);
        return r.wasNull() ? null : v;
    }

    private static @Nullable Double real(ResultSet r, int col) throws SQLException {
        double v = r.getDouble(col);
        return r.wasNull() ? null : v;
    }

    private static Map<String, JsonNode> params(String json) {
        try {
            Map<String, JsonNode> out = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = Json.MAPPER.readTree(json).fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                out.put(e.getKey(), e.getValue());
            }
            return out;
        } catch (IOException e) {
            throw new DlkitException("study database: unreadable trial parameters " + json, e);
        }
    }

    /** Adds a trial (inside a {@link #transaction}); its number is the next free one. */
    int insert(Trial.State state, Map<String, JsonNode> params, int epochs, @Nullable Integer bracket, @Nullable Integer rung,
               @Nullable Integer parent) throws SQLException {
        int number;
        try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("SELECT COALESCE(MAX(number), -1) + 1 FROM trials")) {
            r.next();
            number = r.getInt(1);
        }
        ObjectNode p = Json.MAPPER.createObjectNode();
        params.forEach(p::set);
        try (PreparedStatement st = db.prepareStatement("INSERT INTO trials (number, state, params, epochs, bracket, rung, parent, worker, starts) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            st.setInt(1, number);
            st.setString(2, state.name());
            st.setString(3, Json.canonical(p));
            st.setInt(4, epochs);
            setInt(st, 5, bracket);
            setInt(st, 6, rung);
            setInt(st, 7, parent);
            st.setString(8, state == Trial.State.RUNNING ? worker : null);
            st.setInt(9, state == Trial.State.RUNNING ? 1 : 0);
            st.executeUpdate();
        }
        return number;
    }

    private static void setInt(PreparedStatement st, int col, @Nullable Integer v) throws SQLException {
        if (v == null) {
            st.setNull(col, java.sql.Types.INTEGER);
        } else {
            st.setInt(col, v);
        }
    }

    /** Takes a waiting trial for this worker (inside a {@link #transaction}). */
    void claim(int number) throws SQLException {
        try (PreparedStatement st = db.prepareStatement("UPDATE trials SET state = 'RUNNING', worker = ?, starts = starts + 1 WHERE number = ? AND state = 'WAITING'")) {
            st.setString(1, worker);
            st.setInt(2, number);
            if (st.executeUpdate() != 1) {
                throw new IllegalStateException("trial " + number + " was not waiting");
            }
        }
    }

    /**
     * Trials left RUNNING by a process of this machine that is gone (killed): back to WAITING, their epochs
     * forgotten, to run again from the start. Returns their numbers.
     */
    List<Integer> reclaimDead() throws SQLException {
        String me = host() + ":";
        List<Integer> dead = new ArrayList<>();
        try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("SELECT number, worker FROM trials WHERE state = 'RUNNING'")) {
            while (r.next()) {
                String w = r.getString(2);
                if (w != null && w.startsWith(me)) {
                    long pid = Long.parseLong(w.substring(me.length()));
                    boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                    if (!alive) {
                        dead.add(r.getInt(1));
                    }
                }
            }
        }
        for (int n : dead) {
            try (PreparedStatement st = db.prepareStatement("UPDATE trials SET state = 'WAITING', worker = NULL, epochs_run = 0 WHERE number = ?");
                 PreparedStatement ev = db.prepareStatement("DELETE FROM epoch_values WHERE trial = ?")) {
                st.setInt(1, n);
                st.executeUpdate();
                ev.setInt(1, n);
                ev.executeUpdate();
            }
        }
        return dead;
    }

    /** The objective after an epoch (1-based) of a running trial. */
    public synchronized void recordEpoch(int trial, int epoch, double value) {
        transaction(() -> {
            try (PreparedStatement st = db.prepareStatement("INSERT OR REPLACE INTO epoch_values (trial, epoch, value) VALUES (?, ?, ?)");
                 PreparedStatement up = db.prepareStatement("UPDATE trials SET epochs_run = ? WHERE number = ?")) {
                st.setInt(1, trial);
                st.setInt(2, epoch);
                st.setDouble(3, value);
                st.executeUpdate();
                up.setInt(1, epoch);
                up.setInt(2, trial);
                up.executeUpdate();
            }
            return null;
        });
    }

    /** A trial's outcome. */
    public void finish(int trial, Trial.@NonNull State state, @Nullable Double value, @Nullable Integer bestEpoch, int epochsRun, double seconds,
                       @Nullable String message) {
        transaction(() -> {
            try (PreparedStatement st = db.prepareStatement("UPDATE trials SET state = ?, value = ?, best_epoch = ?, epochs_run = ?, seconds = ?, "
                    + "message = ? WHERE number = ?")) {
                st.setString(1, state.name());
                if (value == null) {
                    st.setNull(2, java.sql.Types.REAL);
                } else {
                    st.setDouble(2, value);
                }
                setInt(st, 3, bestEpoch);
                st.setInt(4, epochsRun);
                st.setDouble(5, seconds);
                st.setString(6, message);
                st.setInt(7, trial);
                st.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public void close() {
        try {
            db.close();
        } catch (SQLException e) {
            throw new DlkitException(file + ": closing the study database: " + e.getMessage(), e);
        }
    }
}
