package dlkit.tensor;

import static org.bytedeco.dnnl.global.dnnl.*;

import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_post_ops;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * oneDNN called directly through JavaCPP's {@code dnnl} preset: primitives and memory descriptors are created once
 * when a plan compiles and executed every step on the planned buffers, with no per-call descriptor building or
 * layout negotiation (what libnd4j's ops pay on every call).
 *
 * <p>Whether the fast path is used is a fixed rule, never a timing race, so runs stay reproducible: oneDNN's natives
 * load on this platform (JavaCPP ships them for linux-x86_64), the CPU has AVX2 or better, and neither the system
 * property {@code dlkit.dnnl=false} nor the environment variable {@code DLKIT_DNNL=0} turns it off. Anywhere else
 * the layers run their portable path, which gives the same results to float rounding.
 */
public final class Dnnl {
    private static final Logger LOG = LoggerFactory.getLogger(Dnnl.class);
    private static final Cleaner CLEANER = Cleaner.create();
    private static volatile @Nullable Boolean available;
    private static volatile @Nullable Boolean forced;
    private static dnnl_engine engine;

    private Dnnl() {}

    /** The rule above; evaluated once, except that {@link #force} (tests) overrides it. */
    public static boolean available() {
        Boolean f = forced;
        if (f != null) {
            return f && loaded();
        }
        return loaded() && !switchedOff();
    }

    /** Tests: {@code false} forces the portable path, {@code true} the oneDNN one, {@code null} restores the rule. */
    public static void force(@Nullable Boolean useDnnl) {
        forced = useDnnl;
    }

    private static boolean switchedOff() {
        String prop = System.getProperty("dlkit.dnnl");
        String env = System.getenv("DLKIT_DNNL");
        return "false".equalsIgnoreCase(prop) || "0".equals(env) || "false".equalsIgnoreCase(env);
    }

    private static boolean loaded() {
        Boolean a = available;
        if (a == null) {
            synchronized (Dnnl.class) {
                a = available;
                if (a == null) {
                    a = load();
                    available = a;
                }
            }
        }
        return a;
    }

    private static boolean load() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return false;
        }
        try {
            Native.init(); // OpenMP settings first: oneDNN reads them when its runtime starts
            Loader.load(org.bytedeco.dnnl.global.dnnl.class);
            int isa = dnnl_get_effective_cpu_isa();
            if (isa < dnnl_cpu_isa_avx2) {
                LOG.info("oneDNN direct path off: the CPU lacks AVX2 (isa {})", isa);
                return false;
            }
            dnnl_engine e = new dnnl_engine();
            check(dnnl_engine_create(e, dnnl_cpu, 0), "creating the CPU engine");
            engine = e;
            LOG.info("oneDNN direct path on (isa {})", isa);
            return true;
        } catch (Throwable t) {
            LOG.info("oneDNN direct path off: its natives did not load ({})", t.toString());
            return false;
        }
    }

    /** Throws, naming {@code what} (e.g. "describing a convolution [28, 28, 1] -> [24, 24, 32]"), unless oneDNN succeeded. */
    public static void check(int status, @NonNull String what) {
        if (status != dnnl_success) {
            throw new IllegalStateException("oneDNN failed " + what + " (status " + status + ")");
        }
    }

    /** Runs a layer's phase: its bound primitives in order. */
    public static void run(@NonNull List<Step> steps) {
        for (int i = 0; i < steps.size(); i++) {
            steps.get(i).run();
        }
    }

    /** A float32 memory descriptor of logical {@code dims} in the physical order {@code tag} (or format_tag_any). */
    public static @NonNull dnnl_memory_desc_t md(long[] dims, int tag) {
        dnnl_memory_desc_t md = new dnnl_memory_desc_t();
        check(dnnl_memory_desc_init_by_tag(md, dims.length, dims, dnnl_f32, tag), "describing a tensor " + java.util.Arrays.toString(dims));
        return md;
    }

    /**
     * The native objects of one compiled layer, released together when the layer's kernel becomes unreachable.
     * Owns its stream: oneDNN CPU streams are not for concurrent use, and Spark runs replicas side by side in one JVM.
     */
    public static final class Session {
        private final State state = new State();
        private final dnnl_stream stream = new dnnl_stream();

        public Session(@NonNull Object owner) {
            if (!loaded()) {
                throw new IllegalStateException("oneDNN is not available on this platform");
            }
            check(dnnl_stream_create(stream, engine, dnnl_stream_default_flags), "creating a stream");
            state.stream = stream;
            CLEANER.register(owner, state);
        }

        /** Memory over a dlkit buffer (no copy). */
        public @NonNull dnnl_memory memory(@NonNull dnnl_memory_desc_t md, @NonNull Buf buf) {
            long bytes = dnnl_memory_desc_get_size(md);
            if (bytes > (long) buf.length() * 4) {
                throw new IllegalStateException("oneDNN tensor of " + bytes + " bytes over a buffer of " + buf.length() + " floats");
            }
            return memory(md, address(buf.pointer()));
        }

        /** Memory of its own, zeroed, for a layout dlkit's buffers do not have (blocked weights, scratchpads). */
        public @NonNull dnnl_memory allocate(@NonNull dnnl_memory_desc_t md) {
            long bytes = Math.max(64, dnnl_memory_desc_get_size(md));
            BytePointer p = new BytePointer(Pointer.malloc(bytes + 64)).capacity(bytes + 64);
            state.owned.add(p);
            long aligned = (p.address() + 63) & ~63L;
            Pointer at = new Pointer() {
                {
                    address = aligned;
                }
            };
            Pointer.memset(at, 0, bytes);
            dnnl_memory m = memory(md, at);
            return m;
        }

        /**
         * {@code user} as a primitive wants it ({@code want}): the user memory itself when the layouts agree, else a
         * copy of its own whose reorder joins {@code phase}.
         */
        public @NonNull dnnl_memory in(@NonNull dnnl_memory user, @NonNull dnnl_memory_desc_t userMd, @NonNull dnnl_memory_desc_t want,
                                       @NonNull List<Step> phase) {
            if (dnnl_memory_desc_equal(userMd, want) != 0) {
                return user;
            }
            dnnl_memory copy = allocate(want);
            phase.add(reorder(user, userMd, copy, want));
            return copy;
        }

        /** Where a primitive writes a result ({@code have}) that ends in {@code user}; the reorder back is added to {@code after}. */
        public @NonNull dnnl_memory out(@NonNull dnnl_memory user, @NonNull dnnl_memory_desc_t userMd, @NonNull dnnl_memory_desc_t have,
                                        @NonNull List<Step> after) {
            if (dnnl_memory_desc_equal(userMd, have) != 0) {
                return user;
            }
            dnnl_memory own = allocate(have);
            after.add(reorder(own, have, user, userMd));
            return own;
        }

        private dnnl_memory memory(dnnl_memory_desc_t md, Pointer handle) {
            dnnl_memory m = new dnnl_memory();
            check(dnnl_memory_create(m, md, engine, handle), "creating a memory object");
            state.memories.add(m);
            return m;
        }

        /**
         * A primitive descriptor for {@code opDesc} (a convolution, pooling … descriptor), with a scratchpad the
         * caller provides (user mode): the library's shared one is unsafe when two plans run at once.
         */
        public @NonNull dnnl_primitive_desc describe(@NonNull Pointer opDesc, @Nullable dnnl_primitive_desc hint, String what) {
            return describe(opDesc, hint, 0, 0, what);
        }

        /** As above, with an element-wise post-op ({@code dnnl_eltwise_*}, alpha) applied to the output in the same pass. */
        public @NonNull dnnl_primitive_desc describe(@NonNull Pointer opDesc, @Nullable dnnl_primitive_desc hint, int postOp, float alpha,
                                                     String what) {
            dnnl_primitive_attr attr = new dnnl_primitive_attr();
            check(dnnl_primitive_attr_create(attr), "creating attributes");
            check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "setting the scratchpad mode");
            dnnl_post_ops ops = null;
            if (postOp != 0) {
                ops = new dnnl_post_ops();
                check(dnnl_post_ops_create(ops), "creating post-ops");
                check(dnnl_post_ops_append_eltwise(ops, 1f, postOp, alpha, 0f), "adding an element-wise post-op");
                check(dnnl_primitive_attr_set_post_ops(attr, ops), "setting post-ops");
            }
            dnnl_primitive_desc pd = new dnnl_primitive_desc();
            int status = dnnl_primitive_desc_create(pd, new org.bytedeco.dnnl.const_dnnl_op_desc_t(opDesc), attr, engine, hint);
            dnnl_primitive_attr_destroy(attr);
            if (ops != null) {
                dnnl_post_ops_destroy(ops);
            }
            check(status, "finding an implementation for " + what);
            state.descs.add(pd);
            return pd;
        }

        public @NonNull dnnl_memory_desc_t query(@NonNull dnnl_primitive_desc pd, int what) {
            return dnnl_primitive_desc_query_md(pd, what, 0);
        }

        /** A primitive from {@code pd} bound to its arguments ({@code kind, memory} pairs), plus its scratchpad. */
        public @NonNull Step step(@NonNull dnnl_primitive_desc pd, Object... kindAndMemory) {
            dnnl_primitive p = new dnnl_primitive();
            check(dnnl_primitive_create(p, pd), "creating a primitive");
            state.primitives.add(p);
            dnnl_memory_desc_t scratch = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
            boolean hasScratch = scratch != null && !scratch.isNull() && dnnl_memory_desc_get_size(scratch) > 0;
            int nargs = kindAndMemory.length / 2 + (hasScratch ? 1 : 0);
            dnnl_exec_arg_t args = new dnnl_exec_arg_t(nargs);
            state.owned.add(args);
            for (int i = 0; i < kindAndMemory.length / 2; i++) {
                args.position(i).arg((Integer) kindAndMemory[2 * i]).memory((dnnl_memory) kindAndMemory[2 * i + 1]);
            }
            if (hasScratch) {
                args.position(nargs - 1).arg(DNNL_ARG_SCRATCHPAD).memory(allocate(scratch));
            }
            args.position(0);
            return new Step(p, stream, nargs, args);
        }

        /** A reorder from one layout to another; null when they are the same layout (nothing to do). */
        public @Nullable Step reorder(@NonNull dnnl_memory from, @NonNull dnnl_memory_desc_t fromMd, @NonNull dnnl_memory to,
                                      @NonNull dnnl_memory_desc_t toMd) {
            if (dnnl_memory_desc_equal(fromMd, toMd) != 0) {
                return null;
            }
            dnnl_primitive_attr attr = new dnnl_primitive_attr();
            check(dnnl_primitive_attr_create(attr), "creating attributes");
            check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "setting the scratchpad mode");
            dnnl_primitive_desc pd = new dnnl_primitive_desc();
            int status = dnnl_reorder_primitive_desc_create(pd, fromMd, engine, toMd, engine, attr);
            dnnl_primitive_attr_destroy(attr);
            check(status, "finding a reorder");
            state.descs.add(pd);
            return step(pd, DNNL_ARG_FROM, from, DNNL_ARG_TO, to);
        }
    }

    /** One bound primitive; {@link #run} executes it and waits. */
    public static final class Step {
        private final dnnl_primitive primitive;
        private final dnnl_stream stream;
        private final int nargs;
        private final dnnl_exec_arg_t args;

        Step(dnnl_primitive primitive, dnnl_stream stream, int nargs, dnnl_exec_arg_t args) {
            this.primitive = primitive;
            this.stream = stream;
            this.nargs = nargs;
            this.args = args;
        }

        public void run() {
            check(dnnl_primitive_execute(primitive, stream, nargs, args), "executing a primitive");
            check(dnnl_stream_wait(stream), "waiting for a stream");
        }
    }

    private static final class State implements Runnable {
        final List<dnnl_primitive> primitives = new ArrayList<>();
        final List<dnnl_primitive_desc> descs = new ArrayList<>();
        final List<dnnl_memory> memories = new ArrayList<>();
        final List<Pointer> owned = new ArrayList<>();
        dnnl_stream stream;

        @Override
        public void run() {
            primitives.forEach(org.bytedeco.dnnl.global.dnnl::dnnl_primitive_destroy);
            descs.forEach(org.bytedeco.dnnl.global.dnnl::dnnl_primitive_desc_destroy);
            memories.forEach(org.bytedeco.dnnl.global.dnnl::dnnl_memory_destroy);
            if (stream != null) {
                dnnl_stream_destroy(stream);
            }
            owned.forEach(p -> {
                if (p instanceof BytePointer b) {
                    Pointer.free(b);
                } else {
                    p.close();
                }
            });
        }
    }

    /** The address of a pointer's current position (JavaCPP passes plain {@code void*} arguments without it). */
    private static Pointer address(Pointer p) {
        long a = p.address() + p.position() * p.sizeof();
        return new Pointer() {
            {
                address = a;
            }
        };
    }
}
