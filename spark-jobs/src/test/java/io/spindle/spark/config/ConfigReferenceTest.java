package io.spindle.spark.config;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigReferenceTest {
    /** Maven runs tests in the module directory; the docs are one level up. */
    private static final Path DOC = Path.of("..", "docs", "config-reference.md");

    @Test
    void theCommittedReferenceIsTheGeneratedOne() throws IOException {
        assertEquals(ConfigReference.markdown(), Files.readString(DOC),
                "docs/config-reference.md is stale: regenerate it with"
                        + " `bin/spindle config --reference > docs/config-reference.md` and commit it");
    }

    @Test
    void everyKeyTheLoaderAcceptsIsListedWithItsDefault() {
        String doc = ConfigReference.markdown();
        var defaults = ConfigFactory.parseResources(ConfigReference.class.getClassLoader(), ConfigReference.DEFAULTS);
        for (var entry : defaults.entrySet()) {
            assertTrue(doc.contains("| `" + entry.getKey() + "` | `" + entry.getValue().render(
                    com.typesafe.config.ConfigRenderOptions.concise().setJson(false)).replace("|", "\\|") + "` |"),
                    entry.getKey() + " is missing from the reference");
        }
        assertTrue(doc.contains("| `train.steps` | `600` |"));
        assertTrue(doc.contains("Global batch in sequences"), "comments become the meaning column");
    }
}
