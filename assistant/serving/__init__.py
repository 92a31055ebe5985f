"""The ways in: the command line (`cli`), the OpenAI-compatible chat API (`api`, its wire
format in `wire`, its bounded work queue in `workers`), streaming text as shown to a reader
(`streaming`), and LangChain's Retriever and Runnable (`langchain`). Each speaks the chain's
`Answer`; none of it holds answering logic."""
