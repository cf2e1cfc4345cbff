// xrnn/dist/mpi_communicator.hpp -- communicator.hpp over MPI (OpenMPI from Debian), for
// `mpirun -np N xrnn-charlm train ...`. Built only with -Dmpi=enabled.
//
// Errors are fatal (MPI_ERRORS_ARE_FATAL): a rank that dies ends the job through mpirun, and
// abort() ends it from a rank that failed on its own (bad data on one machine), so no rank waits
// in a collective for ever.
#ifndef XRNN_DIST_MPI_COMMUNICATOR_HPP
#define XRNN_DIST_MPI_COMMUNICATOR_HPP

#include "xrnn/communicator.hpp"

namespace xrnn::dist
{
    // True when this process was started by mpirun (or another MPI launcher): only then is MPI
    // initialised, so a plain `xrnn-charlm train` never touches it.
    bool launched_by_mpi();

    class MpiCommunicator : public Communicator
    {
    public:
        MpiCommunicator(int* argc, char*** argv); // MPI_Init_thread (funneled: one thread calls MPI)
        ~MpiCommunicator() override;              // MPI_Finalize
        MpiCommunicator(const MpiCommunicator&) = delete;
        MpiCommunicator& operator=(const MpiCommunicator&) = delete;

        int rank() const override { return rank_; }
        int size() const override { return size_; }
        void allreduce_sum(float* data, std::size_t n) override;
        void allreduce_sum(double* data, std::size_t n) override;
        void broadcast(std::string& bytes) override;
        void gather(const float* in, std::size_t n, float* out) override;
        void abort(int status) override;
        double take_reduce_seconds() override;

    private:
        int rank_ = 0, size_ = 1;
        double reduce_seconds_ = 0;
    };
}

#endif
