package io.tessera.core.spi;

/** What one input entry of a forward pass embeds. */
public enum EntryKind {
    /** Class-conditioning token; id = class, or the config's null class for the unconditional half. */
    CLASS,
    /** An image token; id = codebook index. */
    TOKEN,
    /**
     * A family-specific learned query (LPD position query: id 0; PAR transition token: id = index
     * 0..n−2; RandAR position instruction: id 0). Its position names the cell it targets or sits at.
     */
    QUERY
}
