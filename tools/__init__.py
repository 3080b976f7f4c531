"""nextbest tools: what decisions read, on top of the contracts. Nothing here knows the demo world.

registry.py        MODEL_TOOLS: the model-facing tools, one line each, and the ToolDeps they are built from
function_tool.py   FunctionTool: name, input/output models, schema, deadline-bounded run
inventory.py       InventoryAdapter, InventoryIndex(stock, stores), the `check_inventory` tool
search_catalog.py  the `search_catalog` tool: retrieval hits the inventory vouches for
candidates/        CatalogView, the candidate sources (SOURCES) and the one Product -> candidate builder
catalog/           Chroma retrieval behind the one CatalogSearch protocol, its cache and embeddings
offers.py          OfferChecker: which offers a customer may get now, and why not
"""
