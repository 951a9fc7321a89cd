package dlkit.layers;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The registry default of a wrapper's required {@code layer} key: a placeholder never built into a model. It lives
 * apart from {@link LayerRegistry} so that creating a wrapper's entry does not start the registry's initialisation,
 * which reads that very entry.
 */
final class RequiredLayer {
    static final ObjectNode PLACEHOLDER = JsonNodeFactory.instance.objectNode();

    private RequiredLayer() {}
}
